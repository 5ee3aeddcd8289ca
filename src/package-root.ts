/**
 * Files shipped beside the code (the sample agreements in docs/agreements) are found from the
 * package's root, so that they resolve alike from the sources (src/...) and from the compiled
 * build (dist/src/...), as the container image runs it.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PACKAGE_NAME = 'dcim-exchange'

/** The nearest folder above `moduleUrl` holding this package's package.json, or undefined. */
export function packageRoot (moduleUrl: string | URL): string | undefined {
  let dir = dirname(fileURLToPath(moduleUrl))
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir
      } catch {
        // Not a readable manifest: keep looking above.
      }
    }
    const up = dirname(dir)
    if (up === dir) return undefined
    dir = up
  }
}
