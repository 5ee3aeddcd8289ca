// The web console in real Chromium against a liaison node (Europol) fed by a country node
// (Serbia): each role logs in and does its main task, sees only its own screens, and every
// screen passes axe-core without a serious or critical violation (each screen checked once).
// One browser, one context and one page for the whole file: the roles log in and out in turn
// (the session lives in the page's memory, so logging out ends it), which is cheaper than a
// context for each role. The set-up is the smallest that holds what the screens show: a
// liaison node with real regional totals needs a country node that published them and a pull
// (the regional tests' serbiaToEuropol); that country node also serves the legal officer's
// preview and the operator's import.
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { get as httpGet, type IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { CONSOLE_OUT, ensureConsole } from '../../bin/build-console.js'
import { ENCODINGS } from '../../src/ingest/csv-rows.js'
import { POLICIES_DIR } from '../../src/policy/load.js'
import { verifyBundle } from '../../src/totals/bundle.js'
import type { RegionalResult } from '../../src/totals/types.js'
import { addUser } from '../../src/users/users.js'
import { browserMissing, launchBrowser, screenshot, seriousViolations } from '../helpers/browser.js'
import { connect, FIXTURES, SAMPLE_AGREEMENTS, serbiaToEuropol, startTestNode, testClock } from '../helpers/federation.js'

const missing = browserMissing()
if (missing !== undefined && process.env.CI === 'true') {
  t.fail(`CI=true and ${missing}: .ci/run installs Chromium; the console's browser tests must run in CI`)
}

const PASSWORD = 'a long console password'
const ROLES = ['liaison', 'legal', 'operator', 'auditor'] as const

/** A GET as the bytes on the wire (fetch would decompress them), with the Accept-Encoding given. */
async function raw (url: string, acceptEncoding?: string, ifNoneMatch?: string): Promise<{ status: number, headers: IncomingHttpHeaders, body: Buffer }> {
  const headers: Record<string, string> = {}
  if (acceptEncoding !== undefined) headers['accept-encoding'] = acceptEncoding
  if (ifNoneMatch !== undefined) headers['if-none-match'] = ifNoneMatch
  return await new Promise((resolve, reject) => {
    httpGet(url, { headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }) })
      res.on('error', reject)
    }).on('error', reject)
  })
}
t.test('the console in Chromium', { skip: missing ?? false }, async t => {
  const started = performance.now()
  // The nodes start once the console is built: a node reads the built console when it starts.
  const [browser, fed] = await Promise.all([launchBrowser(t), ensureConsole().then(async () => await serbiaToEuropol(t, testClock()))])
  t.comment(`set-up (console build check, Chromium, two nodes with one pull): ${((performance.now() - started) / 1000).toFixed(1)} s`)
  const eu = fed.eu
  const db = eu.running.node.db.db
  for (const role of ROLES) await addUser(db, testClock(), { name: `${role}1`, role, password: PASSWORD })
  // Serbia's legal officer previews what Europol would receive; Serbia's operator imports.
  const srbDb = fed.srb.running.node.db.db
  for (const role of ['legal', 'operator']) await addUser(srbDb, testClock(), { name: `${role}1`, role, password: PASSWORD })
  // A second version of the agreement, in force only from 2028: a difference for the legal
  // officer to read that changes nothing the node shares today.
  const v1 = readFileSync(join(SAMPLE_AGREEMENTS, 'srb-europol.yaml'), 'utf8')
  writeFileSync(join(eu.home, POLICIES_DIR, 'srb-europol-v2.yaml'), v1.replace('version: 1', 'version: 2').replace('threshold: 5', 'threshold: 10')
    .replace('from: 2026-01-01', 'from: 2028-01-01').replace('until: 2027-12-31', 'until: 2029-12-31'))

  const api = async (path: string, role: string, url = eu.url, body?: string, contentType = 'text/csv'): Promise<Response> => {
    const login = await fetch(`${url}/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: `${role}1`, password: PASSWORD }) })
    const { token } = await login.json() as { token: string }
    return await fetch(`${url}${path}`, body === undefined ? { headers: { authorization: `Bearer ${token}` } } : { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': contentType } })
  }

  // The one context and page of the file; what the page asks the nodes and every script error
  // or CSP violation are recorded, and each test checks its own stretch of them.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true })
  t.teardown(async () => { await context.close() })
  const page = await context.newPage()
  const requests: string[] = []
  const problems: string[] = []
  page.on('request', r => { requests.push(new URL(r.url()).pathname) })
  page.on('console', m => { if (m.type() === 'error') problems.push(m.text()) })
  page.on('pageerror', e => { problems.push(e.message) })
  /** Marks where a test starts: `requests()` and `problems()` then give what happened since. */
  const since = () => {
    const r = requests.length
    const p = problems.length
    return { requests: () => requests.slice(r), problems: () => problems.slice(p) }
  }

  async function logIn (role: string): Promise<void> {
    await page.getByLabel('User name').fill(`${role}1`)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('button', { name: 'Log out' }).waitFor()
  }

  /** Logs out (as the user would, before the next role uses the browser). */
  async function logOut (): Promise<void> {
    await page.getByRole('button', { name: 'Log out' }).click()
    await page.getByRole('heading', { name: 'Log in' }).waitFor()
  }

  async function accessible (t: Test, screen: string): Promise<void> {
    t.same(await seriousViolations(page), [], `axe: no serious or critical violation on ${screen}`)
  }

  async function navLinks (): Promise<string[]> {
    return await page.getByRole('navigation', { name: 'Screens' }).getByRole('link').allTextContents()
  }

  /** Goes to a screen inside the app (a reload would end the session: the token lives in the page's memory). */
  async function goInApp (path: string): Promise<void> {
    await page.evaluate(`history.pushState(null, '', ${JSON.stringify(path)}); dispatchEvent(new PopStateEvent('popstate'))`)
  }

  t.test('served under /console with a strict Content-Security-Policy', async t => {
    const index = await fetch(`${eu.url}/console/`)
    t.equal(index.status, 200)
    const csp = index.headers.get('content-security-policy') ?? ''
    t.match(csp, /script-src 'self'/)
    t.notMatch(csp, /unsafe-inline|unsafe-eval|\*/, 'no inline code, no other origin')
    t.equal(index.headers.get('cache-control'), 'no-cache')
    const html = await index.text()
    t.notMatch(html, /<script>|<style>|style=/, 'the page holds no inline script or style')
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    t.ok(asset, 'the page loads its script from /console/assets/')
    const js = await fetch(`${eu.url}${asset!}`)
    t.same([js.status, js.headers.get('cache-control'), js.headers.get('content-type')], [200, 'public, max-age=31536000, immutable', 'text/javascript; charset=utf-8'])
    const again = await fetch(`${eu.url}${asset!}`, { headers: { 'if-none-match': js.headers.get('etag')! } })
    t.equal(again.status, 304, 'a cached asset is not sent again')
    const deep = await fetch(`${eu.url}/console/totals?indicator=V1&years=2024`)
    t.same([deep.status, await deep.text()], [200, html], 'any screen address answers with the app (it routes in the browser)')
    t.equal((await fetch(`${eu.url}/console/assets/missing.js`)).status, 404, 'a missing asset is a 404, not the page')
    const bare = await fetch(`${eu.url}/console`, { redirect: 'manual' })
    t.same([bare.status, bare.headers.get('location')], [308, '/console/'])

    // Compressed for a browser that accepts it (written so by the build), the same headers,
    // the bytes of the file once decompressed; as it is for one that does not.
    const css = /href="(\/console\/assets\/[^"]+\.css)"/.exec(html)![1]!
    const transferred: Record<string, number> = {}
    for (const path of ['/console/', asset!, css]) {
      const file = readFileSync(join(CONSOLE_OUT, path === '/console/' ? 'index.html' : path.slice('/console/'.length)))
      const plain = await raw(`${eu.url}${path}`)
      t.same([plain.status, plain.headers['content-encoding'], plain.headers.vary, plain.body.equals(file)], [200, undefined, 'accept-encoding', true], `${path}: as it is without Accept-Encoding`)
      for (const [accept, encoding] of [['gzip, deflate, br', 'br'], ['gzip, deflate', 'gzip'], ['br;q=0.5, gzip', 'gzip'], ['identity', undefined], ['br;q=0, gzip;q=0', undefined], ['*', 'br']] as const) {
        const res = await raw(`${eu.url}${path}`, accept)
        t.same([res.status, res.headers['content-encoding'], res.headers.vary], [200, encoding, 'accept-encoding'], `${path}, Accept-Encoding: ${accept}`)
        t.same(['content-security-policy', 'cache-control', 'content-type', 'x-content-type-options'].map(h => res.headers[h]), ['content-security-policy', 'cache-control', 'content-type', 'x-content-type-options'].map(h => plain.headers[h]), 'the same headers')
        const body = encoding === 'br' ? brotliDecompressSync(res.body) : encoding === 'gzip' ? gunzipSync(res.body) : res.body
        t.ok(body.equals(file), 'the file\'s bytes once decompressed')
        if (encoding !== undefined) t.not(res.headers.etag, plain.headers.etag, 'each encoding its own ETag')
        if (encoding === 'br') transferred[path] = res.body.length
      }
      const br = await raw(`${eu.url}${path}`, 'br')
      t.equal((await raw(`${eu.url}${path}`, 'br', br.headers.etag as string)).status, 304, 'the brotli copy cached')
      t.equal((await raw(`${eu.url}${path}`, undefined, br.headers.etag as string)).status, 200, 'not for a browser without brotli')
    }
    t.comment(`sent with brotli: ${Object.entries(transferred).map(([p, n]) => `${p} ${n} B`).join(', ')}`)
  })

  t.test('liaison officer: regional totals from a shared address, hidden parts as intervals, CSV equal to the API\'s', async t => {
    const seen = since()
    const view = '/console/totals?indicator=V1&years=2023-2024&by=SEX'
    await page.goto(`${eu.url}${view}`)
    await page.getByRole('heading', { name: 'Log in' }).waitFor()
    await accessible(t, 'the login screen')
    await screenshot(page, 'login')
    await logIn('liaison')
    t.same(await navLinks(), ['Regional totals'], 'the liaison officer sees the totals only')
    t.equal(new URL(page.url()).pathname + new URL(page.url()).search, view, 'the shared address survives the login')
    await page.locator('#totals-table').waitFor()
    t.match(await page.locator('#session-expiry').textContent(), /^Session ends at \d\d:\d\d \(in 60 min\)$/)

    const expected = await (await api('/v1/regional/totals?indicator=V1&years=2023-2024&by=SEX', 'liaison')).json() as RegionalResult
    const rows = page.locator('#totals-table tbody tr')
    t.equal(await rows.count(), expected.cells.length, 'one row per total cell')
    const hidden = expected.cells.flatMap(c => c.parts).filter(p => p.suppressed === true)
    t.ok(hidden.length > 0, 'the query has hidden parts (threshold 5, seven victims)')
    const shownHidden = await page.locator('#totals-table .hidden-part').allTextContents()
    t.same(shownHidden.sort(), hidden.map(p => p.upper === null ? `${p.lower} or more (hidden)` : `${p.lower}–${p.upper} (hidden)`).sort(), 'every hidden part as its interval, none as 0')
    for (const c of expected.cells) {
      const year = c.key.TIME_PERIOD!
      const sex = { F: 'Female', M: 'Male', _T: 'Total', O: 'Other / non-binary', U: 'Unknown' }[c.key.SEX!]!
      const row = rows.filter({ has: page.locator('th', { hasText: year }) }).filter({ has: page.locator('td', { hasText: new RegExp(`^${sex}$`) }) })
      const total = await row.locator('td.num').first().textContent()
      t.equal(total, c.value !== undefined ? String(c.value) : (c.upper === null ? `at least ${c.lower}` : `${c.lower}–${c.upper}`), `${year} ${sex}: the total as the API gives it`)
    }
    const bih = page.locator('#contributions-table tr', { has: page.locator('th', { hasText: 'Bosnia and Herzegovina' }) })
    t.same(await bih.first().locator('td').allTextContents(), ['2023', 'missing', 'no agreement shares this country\'s figures with this node', '', '', ''], 'a missing country with its reason in words')
    const srb = page.locator('#contributions-table tr', { has: page.locator('th', { hasText: 'Serbia' }) }).first()
    const srbCells = await srb.locator('td').allTextContents()
    const srbApi = expected.contributions.find(c => c.country === 'SRB' && c.year === 2023)!
    t.same(srbCells, ['2023', 'included', '', srbApi.issuedAt!.slice(0, 10), srbApi.expiresAt!.slice(0, 10), String(srbApi.suppressedCells ?? '')], 'Serbia\'s part with its freshness')
    await accessible(t, 'the totals screen')
    await screenshot(page, 'liaison-totals')

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()])
    const csv = readFileSync(await download.path(), 'utf8')
    t.equal(download.suggestedFilename(), 'totals-V1-2023-2024-SEX.csv')
    t.equal(csv, await (await api('/v1/regional/totals?indicator=V1&years=2023-2024&by=SEX&format=csv', 'liaison')).text(), 'the CSV downloaded is the API\'s, byte for byte')

    // A new query from the form: the address follows it, so the view can be shared.
    await page.getByLabel('Indicator').selectOption('V2')
    await page.getByLabel('Years').fill('2023')
    await page.getByRole('checkbox', { name: 'Form of exploitation' }).check()
    await page.getByRole('button', { name: 'Show totals' }).click()
    await page.waitForURL(/indicator=V2/)
    t.equal(new URL(page.url()).search, '?indicator=V2&years=2023&by=EXPLOIT')
    await page.locator('#view-link[href$="?indicator=V2&years=2023&by=EXPLOIT"]').waitFor()
    const v2 = await (await api('/v1/regional/totals?indicator=V2&years=2023&by=EXPLOIT', 'liaison')).json() as RegionalResult
    await page.locator('#totals-table tbody tr').nth(v2.cells.length - 1).waitFor()
    t.equal(await page.locator('#totals-table tbody tr').count(), v2.cells.length)

    // Screens of other roles: not offered, not shown, and their data never asked for.
    await goInApp('/console/agreements')
    t.equal(await page.locator('#forbidden').textContent(), 'This screen is not available to your role (liaison officer).')
    await goInApp('/console/audit')
    await page.getByRole('heading', { name: 'Not available' }).waitFor()
    t.same(seen.requests().filter(p => p.startsWith('/v1/') && !['/v1/login', '/v1/me', '/v1/regional/totals'].includes(p)), [], 'no request for another role\'s data')
    await logOut()
    t.same(seen.problems(), [], 'no script error, no Content-Security-Policy violation')
  })

  t.test('legal officer: agreements explained, and the difference between two versions', async t => {
    const seen = since()
    await page.goto(`${eu.url}/console/`)
    await logIn('legal')
    t.same(await navLinks(), ['Agreements', 'Sharing matrix', 'Agreement checks', 'Preview for a peer'])
    await page.waitForURL(/\/console\/agreements$/)
    await page.getByText('Serbia shares with Europol (agreement "srb-europol", version 1).').waitFor()
    t.equal(await page.locator('article.agreement').count(), 2, 'both versions the node holds')
    t.same(await page.locator('article.agreement .badge').allTextContents(), ['in force', 'not in force'])

    // Validity on a timeline (a bar per version, today marked), and the same as text.
    const held = (await (await api('/v1/policy/agreements', 'legal')).json() as { agreements: Array<{ validity: { from: string, until: string, timezone: string } }> }).agreements
    t.same(await page.locator('#validity-table tbody tr').evaluateAll(trs => trs.map(tr => [...tr.children].map(c => c.textContent))), [
      ['srb-europol', '1', held[0]!.validity.from, held[0]!.validity.until, held[0]!.validity.timezone, 'in force'],
      ['srb-europol', '2', '2028-01-01', '2029-12-31', held[1]!.validity.timezone, 'not yet in force'],
    ], 'each version\'s dates and state as text')
    const bars = await page.locator('.timeline rect.bar').evaluateAll(rs => rs.map(r => [Number(r.getAttribute('x')), Number(r.getAttribute('width'))] as [number, number]))
    const today = Number(await page.locator('.timeline line.today').getAttribute('x1'))
    t.equal(bars.length, 2, 'a bar for each version')
    t.ok(bars[0]![0] < today && today < bars[0]![0] + bars[0]![1], 'today falls on version 1\'s bar')
    t.ok(bars[1]![0] > today && bars[1]![0] >= bars[0]![0] + bars[0]![1], 'version 2 starts after today, after version 1 ends')

    await page.getByLabel('From version').selectOption('1')
    await page.getByLabel('To version').selectOption('2')
    await page.getByRole('button', { name: 'Show the differences' }).click()
    await page.locator('#diff li').first().waitFor()
    t.equal(new URL(page.url()).search, '?agreement=srb-europol&from=1&to=2', 'the comparison has its own address')
    const expected = await (await api('/v1/policy/diff?agreement=srb-europol&from=1&to=2', 'legal')).json() as { changes: string[] }
    t.same(await page.locator('#diff li').allTextContents(), expected.changes)
    t.ok(expected.changes.includes('Stricter protection: no count below 10 is sent (was 5).'))
    // One axe run covers the screen: the agreements as listed, and the comparison below them.
    await accessible(t, 'the agreements screen with a comparison')
    await screenshot(page, 'legal-agreements')

    // The sharing matrix: who shares what with whom, a table with row and column headers.
    const matrixStarted = performance.now()
    await page.getByRole('link', { name: 'Sharing matrix' }).click()
    await page.locator('#matrix-table tbody td').first().waitFor()
    const matrix = await (await api('/v1/policy/matrix', 'legal')).json() as { matrix: unknown[] }
    t.same(matrix.matrix, [{ provider: 'SRB', recipient: 'EUROPOL', indicators: ['V1', 'V2', 'V3', 'C1', 'C3'], agreement: 'srb-europol', version: 1, in_force: true }], 'version 1 is in force today (version 2 from 2028)')
    const table = page.getByRole('table', { name: 'Indicators shared: rows are the countries that share, columns the nodes that receive' })
    t.same(await table.getByRole('columnheader').allTextContents(), ['Shared by, with', 'Europol'])
    t.same(await table.getByRole('rowheader').allTextContents(), ['Serbia'])
    t.same(await table.locator('th').evaluateAll(ths => ths.map(th => th.getAttribute('scope'))), ['col', 'col', 'row'], 'every header says what it heads')
    t.same(await table.getByRole('cell').allInnerTexts(), ['V1, V2, V3, C1, C3 in force\nagreement srb-europol, version 1'])
    t.same(await page.locator('#matrix-legend dt').allTextContents(), ['C1', 'C3', 'V1', 'V2', 'V3'])
    await accessible(t, 'the sharing matrix')
    await screenshot(page, 'legal-matrix')
    t.comment(`sharing matrix: ${((performance.now() - matrixStarted) / 1000).toFixed(2)} s`)

    // Agreement checks: a broken file in the node's policies folder, its problems with file and
    // line as the API gives them. Removed at once: while it is there the node cannot use its agreements.
    const lintStarted = performance.now()
    const broken = join(eu.home, POLICIES_DIR, 'srb-europol-v3.yaml')
    writeFileSync(broken, v1.replace('version: 1', 'version: 3').replace('from: 2026-01-01', 'from: 2026-02-30').replace('threshold: 5', 'threshold: 5\ncolour: blue'))
    try {
      // The agreements screen says what the node answers (503 AGREEMENTS_INVALID) and links to the checks.
      await page.getByRole('link', { name: 'Agreements', exact: true }).click()
      const refused = page.getByRole('alert')
      await refused.waitFor()
      t.equal(await refused.textContent(), 'The node answered: the node\'s agreement files have 2 problem(s), the first: srb-europol-v3.yaml:13: validity.from: "2026-02-30" is not a calendar day; write YYYY-MM-DD, e.g. 2026-01-01. The node uses none of its agreements until they are fixed: see every problem with GET /v1/policy/lint (the console\'s Agreement checks screen) or dcimx policy lint Open the agreement checks to see every problem.')
      await refused.getByRole('link', { name: 'Open the agreement checks to see every problem.' }).click()
      await page.locator('#lint-table tbody tr').first().waitFor()
      t.equal(page.url(), `${eu.url}/console/lint`)
      const lint = await (await api('/v1/policy/lint', 'legal')).json() as { files: string[], problems: Array<{ file: string, line: number, field: string | null, message: string }> }
      t.same(lint.problems, [
        { file: 'srb-europol-v3.yaml', line: 13, field: 'validity.from', message: '"2026-02-30" is not a calendar day; write YYYY-MM-DD, e.g. 2026-01-01' },
        { file: 'srb-europol-v3.yaml', line: 17, field: 'colour', message: 'unknown key "colour"' },
      ])
      t.same(await page.locator('#lint-table tbody tr').evaluateAll(trs => trs.map(tr => [...tr.children].map(c => c.textContent))), lint.problems.map(p => [p.file, String(p.line), p.field, p.message]), 'each problem with its file, line and field')
      t.equal(await page.locator('#lint-result').textContent(), '2 problem(s) in 1 of 3 agreement file(s). The node cannot use its agreements until they are fixed.')
      await accessible(t, 'the agreement checks with problems')
      await screenshot(page, 'legal-lint')
    } finally {
      rmSync(broken)
    }
    t.comment(`agreement checks: ${((performance.now() - lintStarted) / 1000).toFixed(2)} s`)

    await goInApp('/console/totals?indicator=V1&years=2023')
    t.equal(await page.locator('#forbidden').textContent(), 'This screen is not available to your role (legal officer).')
    await logOut()

    // At Serbia: exactly what Europol would receive, hidden cells marked.
    await page.goto(`${fed.srb.url}/console/preview?peer=EUROPOL&year=2023&indicator=V1`)
    await logIn('legal')
    await page.locator('#preview h2').first().waitFor()
    const sent = await (await api('/v1/policy/preview?peer=EUROPOL&year=2023&indicator=V1', 'legal', fed.srb.url)).json() as { tables: Array<{ by: string[], cells: Array<{ value?: number }> }> }
    t.equal(sent.tables.length, 1)
    const cells = sent.tables[0]!.cells
    t.ok(cells.some(c => c.value === undefined), 'some cells hidden (threshold 5, seven victims)')
    const shown = await page.locator('#preview tbody td.num').allTextContents()
    t.same(shown, cells.map(c => c.value === undefined ? 'hidden (confidential)' : String(c.value)), 'each cell as it would be sent, hidden ones marked, none as 0')
    t.equal(await page.getByLabel('Peer').inputValue(), 'EUROPOL')
    await accessible(t, 'the preview screen')
    await screenshot(page, 'legal-preview')
    await logOut()
    t.notOk(seen.requests().some(p => p.startsWith('/v1/regional') || p === '/v1/audit' || p === '/v1/status' || p.startsWith('/v1/import')), 'no request for another role\'s data')
    t.same(seen.problems(), ['Failed to load resource: the server responded with a status of 503 (Service Unavailable)'], 'only the answer to the broken agreement file')
  })

  t.test('operator: peers and their status; auditor: the audit log', async t => {
    const seen = since()
    await page.goto(`${eu.url}/console/`)
    await logIn('operator')
    t.same(await navLinks(), ['Regional totals', 'Agreements', 'Sharing matrix', 'Agreement checks', 'Preview for a peer', 'Peers', 'Alerts', 'Audit log', 'Users'], 'no import at a liaison node')
    await page.getByRole('link', { name: 'Peers' }).click()
    const row = page.locator('#peers-table tbody tr')
    await row.first().waitFor()
    t.same(await row.locator('th').allTextContents(), ['SRB (Serbia)'])
    t.equal(await row.locator('td').first().textContent(), 'ok')
    await accessible(t, 'the peers screen')
    await screenshot(page, 'operator-peers')

    // Alerts: two raised from evidence (entries missing from Serbia's feed); the operator acknowledges one.
    const alertsStarted = performance.now()
    const raise = async (seq: number): Promise<number> => Number((await db.insertInto('evidence').values({ peer: 'SRB', kind: 'gap', feed_seq: seq, detail: `SEQ_GAP: entry ${seq - 1} missing`, objects: '[]', recorded_at: new Date(testClock().now()) }).returning('id').executeTakeFirstOrThrow()).id)
    const raised = [await raise(40), await raise(41)]
    await page.getByRole('link', { name: 'Alerts' }).click()
    const alertRows = page.locator('#alerts-table tbody tr')
    await alertRows.nth(1).waitFor()
    const alertsOf = async (role: string): Promise<Array<{ id: number, recorded_at: string }>> => ((await (await api('/v1/status', role)).json()) as { peers: Array<{ alerts: Array<{ id: number, recorded_at: string }> }> }).peers.flatMap(p => p.alerts)
    const listed = await alertsOf('operator')
    t.same(listed.map(a => a.id), raised)
    const cellsOf = async (): Promise<Array<Array<string | null>>> => await alertRows.evaluateAll(trs => trs.map(tr => [...tr.children].slice(0, 6).map(c => c.textContent)))
    t.same(await cellsOf(), listed.map((a, i) => [`#${a.id}`, 'Serbia (SRB)', 'entries missing from the feed', String(40 + i), a.recorded_at.replace('T', ' ').slice(0, 16), `SEQ_GAP: entry ${39 + i} missing`]), 'each alert as GET /v1/status gives it')
    await accessible(t, 'the alerts screen')
    await screenshot(page, 'operator-alerts')
    await page.getByRole('button', { name: `Acknowledge alert #${raised[0]!}` }).click()
    await page.locator('#alerts-done').waitFor()
    t.equal(await page.locator('#alerts-done').textContent(), `Alert #${raised[0]!} is acknowledged; the evidence is kept.`)
    await alertRows.nth(1).waitFor({ state: 'detached' })
    t.same((await alertsOf('operator')).map(a => a.id), [raised[1]], 'acknowledged at the node')
    t.same((await cellsOf()).map(c => c[0]), [`#${raised[1]!}`])
    t.comment(`alerts: ${((performance.now() - alertsStarted) / 1000).toFixed(2)} s`)
    await logOut()
    t.same(seen.problems(), [])

    const auditor = since()
    await page.goto(`${eu.url}/console/audit`)
    await logIn('auditor')
    t.same(await navLinks(), ['Peers', 'Alerts', 'Audit log'])
    const entries = page.locator('#audit-table tbody tr')
    await entries.first().waitFor()
    await page.locator('#audit-verify').waitFor()
    const newest = await (await api('/v1/audit?limit=200', 'auditor')).json() as { entries: Array<{ seq: number, event: string }> }
    // The auditor's own login (and the API's just now) come after what the page read.
    const shown = await entries.locator('td:nth-child(3)').allTextContents()
    t.same(shown, newest.entries.slice(0, shown.length).map(e => e.event))
    t.ok(shown.includes('user_added'))
    const verified = await (await api('/v1/audit/verify', 'auditor')).json() as { entries: number }
    const line = await page.locator('#audit-verify').textContent()
    t.match(line, /^The chain is intact: all (\d+) entries check out, up to entry \1\.$/, 'the verification result')
    t.ok(Number(/all (\d+)/.exec(line!)![1]) <= verified.entries)
    await accessible(t, 'the audit log screen')
    await screenshot(page, 'auditor-audit')
    // The auditor reads the alerts, and cannot acknowledge them.
    await goInApp('/console/alerts')
    await alertRows.first().waitFor()
    t.same([await alertRows.count(), await page.locator('#alerts-table button').count(), await page.locator('#alerts-table thead th').count()], [1, 0, 6], 'the alert left, read-only')
    t.equal((await api('/v1/alerts/ack', 'auditor', eu.url, '{}', 'application/json')).status, 403)
    await goInApp('/console/totals')
    await page.getByRole('heading', { name: 'Not available' }).waitFor()
    await logOut()
    t.notOk(auditor.requests().some(p => p.startsWith('/v1/regional') || p.startsWith('/v1/policy') || p.startsWith('/v1/import') || p.startsWith('/v1/alerts')))
    await db.updateTable('evidence').set({ acknowledged_at: new Date() }).where('acknowledged_at', 'is', null).execute()
    t.same(auditor.problems(), [])
  })

  t.test('operator: adds a user who then logs in, disables them (login refused) and enables them', async t => {
    const started = performance.now()
    const seen = since()
    const logInAs = async (name: string, password: string): Promise<void> => {
      await page.getByLabel('User name').fill(name)
      await page.getByLabel('Password').fill(password)
      await page.getByRole('button', { name: 'Log in' }).click()
    }
    const users = page.locator('#users-table tbody tr')
    const ana = users.filter({ has: page.locator('th', { hasText: /^ana$/ }) })
    await page.goto(`${eu.url}/console/users`)
    await logIn('operator')
    await users.first().waitFor()
    t.same(await users.locator('th').allTextContents(), ['auditor1', 'legal1', 'liaison1', 'operator1 (you)'])
    t.equal(await users.filter({ hasText: 'operator1' }).getByRole('button').count(), 0, 'no button to disable oneself')
    await page.getByLabel('User name').fill('ana')
    await page.getByLabel('Role').selectOption('liaison')
    await page.getByRole('button', { name: 'Add the user' }).click()
    await page.locator('#new-password').waitFor()
    const password = await page.locator('#new-password').textContent() ?? ''
    t.match(password, /^[A-Za-z0-9_-]{20}$/, 'a generated password, shown once')
    t.equal(await page.locator('#users-done p').first().textContent(), 'ana is added as liaison officer.')
    await ana.waitFor()
    t.same(await ana.locator('td').allTextContents().then(c => [c[0], c[2]]), ['liaison officer', 'may log in'])
    await accessible(t, 'the users screen')
    await screenshot(page, 'operator-users')
    await logOut()

    await logInAs('ana', password)
    await page.getByRole('button', { name: 'Log out' }).waitFor()
    t.same(await navLinks(), ['Regional totals'], 'the new user logs in, with the liaison officer\'s screens')
    await logOut()

    await logIn('operator')
    await goInApp('/console/users')
    await page.getByRole('button', { name: 'Disable ana' }).click()
    await page.getByText('ana is disabled: their sessions have ended and they cannot log in.').waitFor()
    // The list is asked again after the change: its answer may come after the message.
    await ana.locator('td').nth(2).filter({ hasText: /^disabled since/ }).waitFor()
    t.match(await ana.locator('td').nth(2).textContent(), /^disabled since \d{4}-\d\d-\d\d \d\d:\d\d$/)
    await logOut()
    await logInAs('ana', password)
    t.equal(await page.getByRole('alert').textContent(), 'The user name or password is wrong, or the account is disabled.', 'disabled: the login is refused')

    await logIn('operator')
    await goInApp('/console/users')
    await page.getByRole('button', { name: 'Enable ana' }).click()
    await page.getByText('ana is enabled: they may log in again.').waitFor()
    await logOut()
    await logInAs('ana', password)
    await page.getByRole('button', { name: 'Log out' }).waitFor()
    await logOut()
    const audit = await (await api('/v1/audit?limit=50', 'operator')).json() as { entries: Array<{ event: string, actor: string, detail: { by?: string } }> }
    t.same(audit.entries.filter(e => e.actor === 'ana' && e.event.startsWith('user_')).map(e => [e.event, e.detail.by]), [['user_added', 'operator1'], ['user_disabled', 'operator1'], ['user_enabled', 'operator1']])
    t.same(seen.requests().filter(p => p.startsWith('/v1/users')), ['/v1/users', '/v1/users', '/v1/users', '/v1/users', '/v1/users/ana/disable', '/v1/users', '/v1/users', '/v1/users/ana/enable', '/v1/users'])
    t.same(seen.problems().filter(p => !p.includes('401')), [])
    t.comment(`users: ${((performance.now() - started) / 1000).toFixed(2)} s`)
  })

  t.test('operator at Serbia: imports a file with problems, reads the report, fixes it and applies', async t => {
    const seen = since()
    const victims = async (): Promise<number> => Number((await srbDb.selectFrom('victim').select(d => d.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
    const before = await victims()
    // Seven new victims (new record ids); the broken copy has an unknown sex code on line 3 and
    // a date that does not exist on line 5.
    const good = readFileSync(join(FIXTURES, 'victims-small.csv'), 'utf8').replace(/^V(\d+),/gm, 'V10$1,')
    const lines = good.split('\n')
    const bad = [lines[0], lines[1], lines[2]!.replace(',F,', ',Q,'), lines[3], lines[4]!.replace(/^(V\d+),\d{4}-\d\d-\d\d/, '$1,2023-13-40'), ...lines.slice(5)].join('\n')
    const choose = async (text: string): Promise<void> => {
      await page.getByLabel('Export file (CSV)').setInputFiles({ name: 'victims-march.csv', mimeType: 'text/csv', buffer: Buffer.from(text) })
    }

    await page.goto(`${fed.srb.url}/console/import`)
    await logIn('operator')
    t.same(await navLinks(), ['Regional totals', 'Agreements', 'Sharing matrix', 'Agreement checks', 'Preview for a peer', 'Peers', 'Alerts', 'Audit log', 'Import records', 'Users'])
    t.ok(await page.getByRole('radio', { name: 'Victims' }).isChecked(), 'victims by default')
    await choose(bad)
    await page.getByRole('button', { name: 'Check the file' }).click()
    const problemRows = page.locator('#import-problems tbody tr')
    await problemRows.first().waitFor()
    const expected = await (await api('/v1/import/victims?file=victims-march.csv', 'operator', fed.srb.url, bad)).json() as { problems: Array<{ code: string, column?: string, value?: string, message: string, count: number, lines: number[] }> }
    t.same(expected.problems.map(p => [p.code, p.column, p.value, p.lines]), [['UNKNOWN_CODE', 'sex', 'Q', [3]], ['BAD_DATE', 'registered_on', '2023-13-40', [5]]])
    const shownProblems: string[][] = []
    for (const r of await problemRows.all()) shownProblems.push([await r.locator('th').textContent() ?? '', ...await r.locator('td').allTextContents()])
    t.same(shownProblems, expected.problems.map(p => [p.code, p.column ?? '', p.value ?? '', p.message, String(p.count), p.lines.join(', ')]), 'every problem with its column, value, reason and lines, as the API reports them')
    t.equal(await page.locator('#import-report p.error').textContent(), 'victims-march.csv: 2 problem(s) in 2 row(s) of 7. Nothing was changed. Fix the file and check it again.')
    t.equal(await page.getByRole('button', { name: 'Apply the import' }).count(), 0, 'no apply for a file with problems')
    await accessible(t, 'the import screen with a report of problems')
    await screenshot(page, 'operator-import')
    t.equal(await victims(), before, 'checking changed nothing')

    await choose(good)
    t.equal(await page.locator('#import-problems').count(), 0, 'a new file clears the old report')
    await page.getByRole('button', { name: 'Check the file' }).click()
    await page.getByText('victims-march.csv is valid: 7 row(s). Applying it would add 7 record(s), update 0 and leave 0 unchanged.').waitFor()
    t.equal(await victims(), before, 'the dry run changed nothing')
    await page.getByRole('button', { name: 'Apply the import' }).click()
    const done = page.locator('#import-report p.verified')
    await done.filter({ hasText: 'is imported' }).waitFor()
    t.equal(await victims(), before + 7, 'the seven records imported')
    const run = await srbDb.selectFrom('import_run').select(['id', 'file_name', 'inserted']).orderBy('id', 'desc').executeTakeFirstOrThrow()
    t.same([run.file_name, run.inserted], ['victims-march.csv', 7])
    t.equal(await done.textContent(), `victims-march.csv is imported (run ${run.id}): 7 record(s) added, 0 updated, 0 unchanged. The node publishes the change with its next scheduled publish.`)
    const recomputed = await srbDb.selectFrom('indicator_table').select(['indicator', 'year']).where('import_id', '=', run.id).orderBy('indicator').orderBy('year').execute()
    t.ok(recomputed.length > 0, 'the tables recomputed by this import')
    const byIndicator = new Map<string, number[]>()
    for (const r of recomputed) byIndicator.set(r.indicator, [...(byIndicator.get(r.indicator) ?? []), r.year])
    t.same((await page.locator('#import-tables').textContent())?.replace(/^Tables recomputed: |\.$/g, '').split('; ').sort(), [...byIndicator].map(([i, ys]) => `${i} ${ys.join(', ')}`).sort(), 'the tables the page names are those the import recomputed')
    t.equal(await page.getByRole('button', { name: 'Apply the import' }).count(), 0, 'applied once')

    // Two of the seven withdrawn, from a semicolon-separated list of ids: checked, then applied.
    const withdrawStarted = performance.now()
    t.same(await page.locator('#i-encoding option').evaluateAll(os => os.map(o => o.getAttribute('value'))), [...ENCODINGS], 'the encodings dcimx import takes')
    await page.getByRole('radio', { name: 'Withdraw records' }).check()
    await page.getByLabel('Separator').selectOption(';')
    await page.getByLabel('Export file (CSV)').setInputFiles({ name: 'withdraw.csv', mimeType: 'text/csv', buffer: Buffer.from('record_id;reason\nV102;duplicate\nV105;duplicate\n') })
    await page.getByRole('button', { name: 'Check the file' }).click()
    await page.getByText('withdraw.csv is valid: applying it would withdraw 2 record(s), and the tables would stop counting them.').waitFor()
    t.equal(await victims(), before + 7, 'the dry run withdrew nothing')
    await accessible(t, 'the import screen with a withdrawal checked')
    await page.getByRole('button', { name: 'Apply the withdrawal' }).click()
    await done.filter({ hasText: 'withdrawn' }).waitFor()
    const withdrawal = await srbDb.selectFrom('import_run').select(['id', 'action', 'withdrawn']).orderBy('id', 'desc').executeTakeFirstOrThrow()
    t.same([withdrawal.action, withdrawal.withdrawn], ['withdraw', 2])
    t.equal(await done.textContent(), `withdraw.csv: 2 record(s) withdrawn (run ${withdrawal.id}). The node publishes the change with its next scheduled publish.`)
    t.equal(await victims(), before + 5, 'the two records withdrawn')
    t.equal(await page.getByRole('button', { name: 'Apply the withdrawal' }).count(), 0, 'applied once')
    t.comment(`withdrawal: ${((performance.now() - withdrawStarted) / 1000).toFixed(2)} s`)
    await logOut()
    t.same(seen.requests().filter(p => p.startsWith('/v1/')).filter(p => !['/v1/login', '/v1/me', '/v1/import/victims'].includes(p)), [], 'the import screen asks for nothing else')
    t.same(seen.problems(), [])
  })

  // After the other roles' tests: Bosnia and Herzegovina starts sharing with Europol here, so
  // the screens above see Serbia alone.
  t.test('liaison officer with two countries: mirror statistics side by side, the provenance bundle, charts, the map, a tablet', async t => {
    const seen = since()
    const setUp = performance.now()
    const bihAgreement = join(SAMPLE_AGREEMENTS, 'bih-europol.yaml')
    const bih = await startTestNode(t, 'BIH', testClock(), [bihAgreement])
    copyFileSync(bihAgreement, join(eu.home, POLICIES_DIR, 'bih-europol.yaml'))
    await connect(eu, bih, testClock())
    await connect(bih, eu, testClock())
    await bih.importSyntheticVictims([2023, 2024], 3)
    await bih.publish()
    t.ok((await eu.sync('BIH')).ok, 'Europol pulled Bosnia and Herzegovina')
    t.comment(`set-up (a second country node, its import, publish and pull): ${((performance.now() - setUp) / 1000).toFixed(1)} s`)

    const view = '/console/totals?indicator=V3&years=2023-2024'
    await page.goto(`${eu.url}${view}`)
    await page.getByRole('heading', { name: 'Log in' }).waitFor()
    t.same(seen.requests().filter(p => p.includes('/assets/charts-')), [], 'the login page does not load the chart code')
    await logIn('liaison')
    const mirror = await (await api('/v1/regional/totals?indicator=V3&years=2023-2024', 'liaison')).json() as RegionalResult
    t.ok(mirror.mirror.length > 0, `the API gives mirror rows (${mirror.mirror.length})`)
    const rows = page.locator('#mirror-table tbody tr')
    await rows.nth(mirror.mirror.length - 1).waitFor()
    t.equal(await rows.count(), mirror.mirror.length, 'one row per mirror pair and year')
    const name: Record<string, string> = { SRB: 'Serbia', BIH: 'Bosnia and Herzegovina' }
    const side = (p: RegionalResult['mirror'][number]['byOrigin']): string => p === null ? 'not shared with this breakdown' : p.suppressed === true ? (p.upper === null ? `${p.lower} or more (hidden)` : `${p.lower}–${p.upper} (hidden)`) : String(p.value)
    const shown: string[][] = []
    for (const r of await rows.all()) shown.push([await r.locator('th').textContent() ?? '', ...await r.locator('td').allTextContents()])
    t.same(shown, mirror.mirror.map(m => [String(m.year), name[m.destination], name[m.origin], side(m.byDestination), side(m.byOrigin),
      m.asymmetry === null ? 'not known: a figure is hidden or not shared' : (m.asymmetry > 0 ? `+${m.asymmetry}` : String(m.asymmetry))]), 'each pair as the API gives it, hidden figures as ranges')
    t.ok(mirror.mirror.some(m => m.byDestination?.suppressed === true || m.byOrigin?.suppressed === true), 'some mirror figures are hidden, and shown as ranges')
    await accessible(t, 'the totals screen with mirror statistics')
    await screenshot(page, 'liaison-mirror')

    // The provenance bundle: the API's answer byte for byte, and it verifies as dcimx verify-bundle does.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download provenance bundle' }).click()])
    const bundle = readFileSync(await download.path(), 'utf8')
    t.equal(download.suggestedFilename(), 'totals-V3-2023-2024.bundle.json')
    t.equal(bundle, await (await api('/v1/regional/totals?indicator=V3&years=2023-2024&format=bundle', 'liaison')).text(), 'the bundle downloaded is the API\'s, byte for byte')
    const verified = await verifyBundle(JSON.parse(bundle))
    t.same([verified.ok, verified.problem, verified.publishers.map(p => p.id)], [true, null, ['BIH', 'SRB']], 'the bundle verifies offline')
    t.same(verified.result, mirror, 'its result is the one on screen')

    // Charts: a line per country and a stack by the first dimension, hidden parts as hatched
    // ranges (totals-parts.test.ts checks what is drawn), the table as their text alternative.
    await goInApp('/console/totals?indicator=V1&years=2022-2024&by=SEX')
    await page.locator('#chart-stack canvas').first().waitFor()
    await page.locator('#chart-countries canvas').first().waitFor()
    const charts = seen.requests().filter(p => p.startsWith('/console/assets/charts-'))
    t.same(charts.map(p => p.replace(/-[\w-]{8}\./, '.')).sort(), ['/console/assets/charts.css', '/console/assets/charts.js'], 'the chart code loaded as its own chunk, once')
    const v1 = await (await api('/v1/regional/totals?indicator=V1&years=2022-2024&by=SEX', 'liaison')).json() as RegionalResult
    t.ok(v1.cells.some(c => c.key.SEX === '_T' && c.parts.some(p => p.suppressed === true)), 'a country\'s yearly figure is hidden')
    const hiddenNote = 'Hatched: a hidden figure, drawn as its range, never as zero. In a line chart the hatched bar runs from its lowest to its highest possible value; in a stack the densely hatched part is the least it can be and the pale dashed part what it may add at most.'
    const openNote = '▲ An arrow at the top: no upper bound is known for that figure.'
    const yearly = v1.cells.filter(c => c.key.SEX === '_T').flatMap(c => c.parts)
    t.same(await page.locator('#chart-countries-legend li').allTextContents(), ['Bosnia and Herzegovina', 'Serbia', hiddenNote, ...(yearly.some(p => p.upper === null) ? [openNote] : [])], 'a line per country; the legend says how hidden figures are drawn')
    const sexes: Record<string, string> = { F: 'Female', M: 'Male', O: 'Other / non-binary', U: 'Unknown' }
    const byCode = v1.cells.filter(c => c.key.SEX !== '_T')
    t.same(await page.locator('#chart-stack-legend li').allTextContents(), [...Object.keys(sexes).filter(k => byCode.some(c => c.key.SEX === k)).map(k => sexes[k]), 'Total as the API gives it (a mark at its value, or a bar over its range)',
      ...(v1.cells.some(c => c.value === undefined) ? [hiddenNote] : []), ...(v1.cells.some(c => c.upper === null) ? [openNote] : [])], 'a segment per code, and the year\'s total')
    const img = page.getByRole('img', { name: 'V1: each country\'s figure by year' })
    t.same([await img.getAttribute('aria-details'), await img.getAttribute('aria-describedby')], ['totals-table', 'chart-countries-legend'], 'the chart points to its legend and to the table as its text alternative')
    const painted = await page.evaluate(`(() => {
      const c = document.querySelector('#chart-stack canvas')
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
      let inked = 0
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) inked++
      return inked
    })()`) as number
    t.ok(painted > 2000, `the stack is drawn (${painted} inked pixels)`)
    await accessible(t, 'the totals screen with charts')
    await screenshot(page, 'liaison-charts')

    // The map: each country described (a figure, a hidden range or missing with the reason),
    // reachable with the keyboard, coloured by value or by coverage.
    const paths = page.locator('#region-map path')
    await paths.nth(6).waitFor()
    const reasons: Record<string, string> = { no_agreement: 'no agreement shares this country\'s figures with this node', no_data: 'no figures received for this year (none sent yet, or withdrawn)' }
    const describe = (year: number, code: string): string => {
      const c = v1.contributions.find(x => x.country === code && x.year === year)!
      if (c.status === 'missing') return `missing: ${reasons[c.reason!]!}`
      const p = v1.cells.find(x => x.key.TIME_PERIOD === String(year) && x.key.SEX === '_T')!.parts.find(x => x.country === code)!
      return p.suppressed === true ? (p.upper === null ? `hidden: ${p.lower} or more` : `hidden: ${p.lower}–${p.upper}`) : String(p.value)
    }
    const names: Record<string, string> = { ALB: 'Albania', BIH: 'Bosnia and Herzegovina', HRV: 'Croatia', XKX: 'Kosovo', MKD: 'North Macedonia', MNE: 'Montenegro', SRB: 'Serbia' }
    const labels = async (): Promise<string[]> => (await paths.evaluateAll(ps => ps.map(p => p.getAttribute('aria-label') ?? ''))).sort()
    t.same(await labels(), Object.entries(names).map(([code, n]) => `${n}: ${describe(2024, code)}`).sort(), 'every country of the region described, 2024 (the last year asked for)')
    t.same((await page.locator('#region-map-list li').allTextContents()).sort(), await labels(), 'the same words beside the map')
    t.ok((await labels()).some(l => l.startsWith('Serbia: hidden: ')), 'Serbia\'s hidden figure as its range, not zero')
    await page.locator('#region-map path[data-code="ALB"]').focus()
    await page.keyboard.press('Tab')
    t.equal(await page.evaluate('document.activeElement.getAttribute("data-code")'), 'BIH', 'Tab goes from country to country')
    t.same([await page.locator('#region-map path[data-code="SRB"]').getAttribute('fill'), await page.locator('#region-map path[data-code="HRV"]').getAttribute('fill')], ['url(#map-hidden)', '#d9d9d9'], 'a hidden figure is hatched, a missing country grey')
    // The map alone (the screen is long): docs/console/liaison-map.png.
    if (process.env.DCIMX_SCREENSHOTS === '1') await page.locator('#region-map').screenshot({ path: join(import.meta.dirname, '..', '..', 'docs', 'console', 'liaison-map.png') })
    const mapSeen = since()
    await page.getByRole('radio', { name: 'coverage' }).check()
    t.equal(await page.locator('#region-map path[data-code="BIH"]').getAttribute('fill'), '#74c476', 'by coverage: an exact figure is green')
    await page.getByLabel('Year on the map').selectOption('2022')
    t.same(await labels(), Object.entries(names).map(([code, n]) => `${n}: ${describe(2022, code)}`).sort(), '2022: every country missing, with its reason')
    t.match(await page.locator('#region-map-title').textContent(), /^The region in 2022: .* coloured by coverage$/)
    t.equal(new URL(page.url()).search, '?indicator=V1&years=2022-2024&by=SEX&map_colour=coverage&map_year=2022', 'the map\'s year and colouring are in the address, to share')
    t.same(mapSeen.requests().filter(p => p.startsWith('/v1/')), [], 'changing the map asks the node nothing')
    await accessible(t, 'the totals screen with the map')
    // A tablet (768x1024): the same screen, then the login, fit the width (tables scroll in
    // their own box, the charts redraw to the new width) and pass axe.
    const tablet = performance.now()
    await page.setViewportSize({ width: 768, height: 1024 })
    // Until the page fits, frame by frame (at most 5 s). Not page.waitForFunction: its polling
    // compiles the predicate in the page, which the console's CSP (no 'unsafe-eval') reports as
    // a violation whenever the first check does not already pass.
    const untilFits = async (): Promise<void> => {
      await page.evaluate(`new Promise(resolve => {
        const started = performance.now()
        const check = () => {
          if (document.documentElement.scrollWidth <= document.documentElement.clientWidth || performance.now() - started > 5000) resolve(true)
          else requestAnimationFrame(check)
        }
        check()
      })`)
    }
    const overflow = async (): Promise<number> => await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as number
    await untilFits()
    t.equal(await overflow(), 0, 'the totals screen at 768 px: no horizontal scrolling of the page')
    t.ok(await page.evaluate('[...document.querySelectorAll(".chart canvas")].every(c => c.getBoundingClientRect().right <= document.documentElement.clientWidth)'), 'the charts redrawn within the width')
    await accessible(t, 'the totals screen on a tablet')
    // What a tablet shows first (the whole screen is long): docs/console/liaison-tablet.png.
    if (process.env.DCIMX_SCREENSHOTS === '1') {
      await page.evaluate('scrollTo(0, 0)')
      await page.screenshot({ path: join(import.meta.dirname, '..', '..', 'docs', 'console', 'liaison-tablet.png') })
    }
    await logOut()
    await untilFits()
    t.equal(await overflow(), 0, 'the login screen at 768 px: no horizontal scrolling')
    await accessible(t, 'the login screen on a tablet')
    await page.setViewportSize({ width: 1280, height: 800 })
    t.comment(`tablet checks: ${((performance.now() - tablet) / 1000).toFixed(1)} s`)
    t.same(seen.problems(), [], 'no script error, no Content-Security-Policy violation')
  })

  t.test('the session: log out, and the end of the session shown when the token expires', async t => {
    // Last: the page's clock is Playwright's from here on.
    await context.clock.install()
    await page.goto(`${eu.url}/console/`)
    await page.getByLabel('User name').fill('liaison1')
    await page.getByLabel('Password').fill('not the password at all')
    await page.getByRole('button', { name: 'Log in' }).click()
    t.equal(await page.getByRole('alert').textContent(), 'The user name or password is wrong, or the account is disabled.')
    await logIn('liaison')
    await page.getByRole('button', { name: 'Log out' }).click()
    t.equal(await page.getByRole('status').textContent(), 'You have logged out.')
    await logIn('liaison')
    await context.clock.fastForward('01:00:01')
    await page.getByRole('heading', { name: 'Log in' }).waitFor()
    t.equal(await page.getByRole('status').textContent(), 'Your session has expired. Log in again.')
  })
})
