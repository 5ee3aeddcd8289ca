/**
 * The node's agreements as the files in HOME/policies now are, read again only after the folder
 * changed: what lets a route that needs them on every request skip parsing and hashing every
 * file each time. Changes are learned from the file system (fs.watch, inotify on Linux), which
 * reports them within moments; where the folder cannot be watched (absent, removed, a file
 * system without notifications), every call reads the files again. A folder swapped for another
 * under the same name is noticed at the next call (its inode differs). Not noticed: a file
 * in the folder that is a symbolic link to a file edited elsewhere.
 */
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import { nodeAgreements, POLICIES_DIR, type LoadedAgreement } from './load.js'

export interface AgreementsWatch {
  /**
   * The agreements now, and a version that changes whenever the folder does (undefined while
   * the folder is not watched). Throws, like nodeAgreements, when a file is invalid.
   */
  current(): { version: number | undefined, agreements: LoadedAgreement[] }
  close(): void
}

export function watchAgreements (home: string): AgreementsWatch {
  const dir = join(home, POLICIES_DIR)
  let watcher: FSWatcher | undefined
  let version = 0
  let cached: LoadedAgreement[] | undefined
  let closed = false
  /** The folder watched, by device and inode: a folder swapped in under the same name is another. */
  let watched: string | undefined
  const identity = (): string | undefined => {
    const st = statSync(dir, { throwIfNoEntry: false })
    return st === undefined ? undefined : `${st.dev}:${st.ino}`
  }

  const stop = (): void => {
    watcher?.close()
    watcher = undefined
    cached = undefined
  }
  const start = (): void => {
    if (closed || watcher !== undefined || !existsSync(dir)) return
    try {
      const w = watch(dir, { persistent: false }, () => {
        version++
        cached = undefined
        // The folder itself removed or renamed: no more events will come.
        if (!existsSync(dir)) stop()
      })
      w.on('error', stop)
      watcher = w
      watched = identity()
      version++
      cached = undefined
    } catch {
      stop()
    }
  }
  start()

  return {
    current: () => {
      // A folder renamed away and another put in its place (or a symlink repointed) sends no
      // event about the new one: compare identities, a stat per call.
      if (watcher !== undefined && identity() !== watched) stop()
      if (watcher === undefined) start()
      if (watcher === undefined) return { version: undefined, agreements: nodeAgreements(home) }
      cached ??= nodeAgreements(home)
      return { version, agreements: cached }
    },
    close: () => {
      closed = true
      stop()
    },
  }
}
