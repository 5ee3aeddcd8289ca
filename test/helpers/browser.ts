// Headless Chromium for the console's end-to-end tests: Debian's `chromium` driven by
// playwright-core (flags as in the brief's toolchain.md), axe-core's accessibility check, and
// screenshots into docs/console/ when DCIMX_SCREENSHOTS=1 asks for them.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Test } from 'tap'

/** Where Debian's package installs the browser, unless CHROMIUM_PATH says otherwise. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']

/**
 * Why the browser tests cannot run here, or undefined when they can. In CI (CI=true) a missing
 * browser is not a reason to skip: the caller fails instead.
 */
export function browserMissing (): string | undefined {
  if (existsSync(CHROMIUM)) return undefined
  return `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH) to run the console's browser tests`
}

export async function launchBrowser (t: Test): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true })
  t.teardown(async () => { await browser.close() })
  return browser
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export interface AxeViolation { id: string, impact: string, help: string, nodes: string[] }

/** axe-core on the page as it is now: the violations of impact serious or critical. */
export async function seriousViolations (page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern.
  if (!await page.evaluate('typeof window.axe === "object"')) await page.evaluate(axeSource)
  const result = await page.evaluate(`axe.run(document).then(r => r.violations.map(v => ({
    id: v.id, impact: v.impact ?? '', help: v.help, nodes: v.nodes.map(n => JSON.stringify(n.target)),
  })))`) as AxeViolation[]
  return result.filter(v => v.impact === 'serious' || v.impact === 'critical')
}

/** Saves a screenshot as docs/console/NAME.png when DCIMX_SCREENSHOTS=1 (normal runs leave docs/ alone). */
export async function screenshot (page: Page, name: string): Promise<void> {
  if (process.env.DCIMX_SCREENSHOTS !== '1') return
  const dir = join(import.meta.dirname, '..', '..', 'docs', 'console')
  mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true })
}
