import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { loadConfig, parseConfig, yearClosesOn, type Config } from '../src/config.js'
import { lastClosedYear } from '../src/policy/grants.js'
import { AppError } from '../src/errors.js'
import { tempDir } from './helpers/node.js'

const base: Config = {
  node: { id: 'SRB', kind: 'country', name: 'Serbia' },
  url: 'http://127.0.0.1:7300',
  http: { host: '127.0.0.1', port: 7300 },
  database: { url: null },
  log: { level: 'info' },
  signing_key: 'a'.repeat(43),
}

function home (t: Test, content: string): string {
  const dir = tempDir(t)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'config.json'), content)
  return dir
}

t.test('a valid file loads, and environment variables override it', async t => {
  const dir = home(t, JSON.stringify(base))
  t.same(loadConfig(dir), { ...base, home: dir })
  const c = loadConfig(dir, { DCIMX_PORT: '8123', DCIMX_HOST: '0.0.0.0', DATABASE_URL: 'postgres://u@h/db', DCIMX_LOG_LEVEL: 'warn', DCIMX_URL: 'https://srb.example', UNRELATED: 'x' })
  t.same([c.http.port, c.http.host, c.database.url, c.log.level, c.url], [8123, '0.0.0.0', 'postgres://u@h/db', 'warn', 'https://srb.example'])
  t.equal(loadConfig(dir, { DCIMX_PORT: '' }).http.port, 7300, 'an empty variable does not override')
})

t.test('errors name the file, the setting and the value', async t => {
  const dir = home(t, JSON.stringify({ ...base, http: { host: '127.0.0.1', port: 70000 } }))
  const file = join(dir, 'config.json')
  t.throws(() => loadConfig(dir), new AppError('CONFIG_INVALID', `${file}: http.port must be <= 65535 (got 70000)`))
  const ok = home(t, JSON.stringify(base))
  t.throws(() => loadConfig(ok, { DCIMX_PORT: 'eighty' }), new AppError('CONFIG_INVALID', `${join(ok, 'config.json')} with DCIMX_PORT from the environment: http.port must be integer (got "eighty")`))
  t.throws(() => loadConfig(ok, { DATABASE_URL: 'mysql://x' }), { code: 'CONFIG_INVALID', message: /database\.url must match pattern/ })
  t.throws(() => loadConfig(home(t, '{"node":')), { code: 'CONFIG_INVALID', message: /not valid JSON/ })
  t.throws(() => loadConfig(home(t, '[]')), { code: 'CONFIG_INVALID', message: /not a JSON object/ })
  t.throws(() => parseConfig({ ...base, colour: 'red' }, 'c.json'), new AppError('CONFIG_INVALID', 'c.json: configuration has an unknown setting "colour"'))
  t.throws(() => parseConfig({ ...base, node: { id: 'SRB', kind: 'country' } }, 'c.json'), new AppError('CONFIG_INVALID', 'c.json: node is missing "name"'))
  t.throws(() => parseConfig({ ...base, log: { level: 'loud' } }, 'c.json'), new AppError('CONFIG_INVALID', 'c.json: log.level must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent" (got "loud")'))
  t.throws(() => parseConfig({ ...base, node: { ...base.node, kind: 'embassy' } }, 'c.json'), new AppError('CONFIG_INVALID', 'c.json: node.kind must be one of "country", "liaison" (got "embassy")'))
  t.throws(() => parseConfig({ ...base, exchange: { year_closes_on: '3-31' } }, 'c.json'), { code: 'CONFIG_INVALID', message: /^c\.json: exchange\.year_closes_on must match pattern .* \(got "3-31"\)$/ })
})

t.test('the day a year closes: 31 March of the next year unless configured', async t => {
  t.equal(yearClosesOn(base), '03-31')
  t.equal(yearClosesOn({ exchange: { year_closes_on: '06-30' } }), '06-30')
  t.equal(lastClosedYear(Date.UTC(2026, 2, 30, 23, 59), '03-31'), 2024, 'until 31 March 2026, 2025 is still open')
  t.equal(lastClosedYear(Date.UTC(2026, 2, 31), '03-31'), 2025)
  t.equal(lastClosedYear(Date.UTC(2026, 0, 1)), 2025, 'without a closing day, a year closes when it ends')
  t.equal(lastClosedYear(Date.UTC(2025, 11, 31, 23, 59)), 2024)
})

t.test('a folder without config.json is not a node home', async t => {
  const dir = tempDir(t)
  t.throws(() => loadConfig(dir), new AppError('HOME_NOT_FOUND', `${dir} is not a node home (no config.json); create one with "dcimx init"`))
  t.throws(() => loadConfig(join(dir, 'missing')), { code: 'HOME_NOT_FOUND' })
})
