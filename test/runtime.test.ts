// The runtime the project is pinned to, and the dependencies that declare more than it has
// (README, "Runtime"): Node 20 (the machines' Node), dependencies whose declared engines
// exclude it checked to work on it, and the PGlite version forced past its dialect's peer range.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import canonicalize from 'canonicalize'
import { PGlite } from '@electric-sql/pglite'
import Fastify from 'fastify'
import { Kysely, sql } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import t from 'tap'

const ROOT = join(import.meta.dirname, '..')
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string }
  dependencies: Record<string, string>
  overrides: Record<string, Record<string, string>>
}
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string, engines?: { node?: string } | string[], peerDependencies?: Record<string, string> }>
}
const installed = (name: string): { version: string, peerDependencies?: Record<string, string> } => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'))

type Version = [number, number, number]
const parse = (v: string): Version => {
  const [a = 0, b = 0, c = 0] = v.replace(/^v/, '').split('.').map(x => (x === '*' || x === 'x' ? 0 : Number(x)))
  return [a, b, c]
}
const cmp = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]

/** Whether `version` satisfies the npm range `range`, for the forms node engines use here. */
export function satisfies (version: string, range: string): boolean {
  const v = parse(version)
  return range.split('||').some(set => set.trim().replace(/([<>=^~]+)\s+/g, '$1').split(/\s+/).every(c => {
    if (c === '*' || c === '') return true
    const m = /^(>=|<=|>|<|\^|~|=)?v?(\d+(?:\.(?:\d+|\*|x))?(?:\.(?:\d+|\*|x))?)$/.exec(c)
    if (m === null) throw new Error(`unhandled range "${range}"`)
    const [op = '', text] = [m[1], m[2]!]
    const w = parse(text)
    const parts = text.split('.').filter(p => p !== '*' && p !== 'x').length
    switch (op) {
      case '>=': return cmp(v, w) >= 0
      case '>': return cmp(v, w) > 0
      case '<=': return cmp(v, w) <= 0
      case '<': return cmp(v, w) < 0
      case '^': return cmp(v, w) >= 0 && (w[0] > 0 ? v[0] === w[0] : w[1] > 0 ? v[0] === 0 && v[1] === w[1] : cmp(v, w) === 0)
      case '~': return cmp(v, w) >= 0 && v[0] === w[0] && (parts < 2 || v[1] === w[1])
      default: return v[0] === w[0] && (parts < 2 || v[1] === w[1]) && (parts < 3 || v[2] === w[2])
    }
  }))
}

t.test('the range check itself', async t => {
  const cases: Array<[string, string, boolean]> = [
    ['20.20.2', '^20.19.0', true], ['22.1.0', '^20.19.0', false], ['20.18.0', '^20.19.0', false],
    ['20.20.2', '>=22', false], ['22.0.0', '>=22', true], ['20.20.2', '20 || >=22', true], ['21.0.0', '20 || >=22', false],
    ['20.20.2', '^20.17.0 || >=22.9.0', true], ['20.20.2', '>= 14.16.0', true], ['20.20.2', '10.* || >= 12.*', true],
    ['20.20.2', '~20.20.0', true], ['20.21.0', '~20.20.0', false], ['0.4.2', '^0.4.0', true], ['0.5.16', '^0.2.0 || ^0.3.0 || ^0.4.0', false],
  ]
  for (const [v, r, want] of cases) t.equal(satisfies(v, r), want, `${v} ${want ? 'satisfies' : 'does not satisfy'} ${r}`)
})

t.test('the project runs on the Node its engines field names: 20, from 20.19', async t => {
  t.equal(manifest.engines.node, '^20.19.0')
  t.ok(satisfies(process.version, manifest.engines.node), `${process.version} satisfies ${manifest.engines.node}`)
})

t.test('dependencies whose declared engines exclude Node 20 are exactly the reviewed ones', async t => {
  const excluding = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && !Array.isArray(p.engines) && p.engines?.node !== undefined && !satisfies('20.19.0', p.engines.node))
    .map(([path, p]) => `${path.replace(/^.*node_modules\//, '')}@${p.version} ${(p.engines as { node: string }).node}`)
    .sort()
  // Reviewed (README, "Runtime"): each is exercised on Node 20 by this file or by the suite.
  t.same(excluding, [
    'canonicalize@5.1.0 >=22', // RFC 8785: below; needs String.prototype.isWellFormed (Node 20)
    'content-disposition@3.1.0 >=22', // @fastify/static (below)
    'cookie@2.0.2 >=22', // light-my-request, fastify's inject (below, and every HTTP test)
  ])
})

t.test('canonicalize on this Node: RFC 8785 examples and number vectors', async t => {
  // RFC 8785 section 3.2.2.
  const input = '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}'
  t.equal(canonicalize(JSON.parse(input)), '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
  // Section 3.2.3: properties sorted by UTF-16 code units.
  const sorting = Object.fromEntries([['\u20ac', 'Euro Sign'], ['\r', 'Carriage Return'], ['\ufb33', 'Hebrew Letter Dalet With Dagesh'], ['1', 'One'], ['\ud83d\ude00', 'Emoji: Grinning Face'], ['\u0080', 'Control'], ['\u00f6', 'Latin Small Letter O With Diaeresis']])
  const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']
  t.equal(canonicalize(sorting), `{${order.map(k => `${JSON.stringify(k)}:${JSON.stringify(sorting[k])}`).join(',')}}`)
  // Appendix B: IEEE 754 doubles and their canonical text.
  const numbers: Array<[string, string]> = [
    ['0000000000000000', '0'], ['8000000000000000', '0'], ['0000000000000001', '5e-324'], ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'], ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'], ['c340000000000000', '-9007199254740992'], ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'], ['44b52d02c7e14af6', '1e+23'], ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'], ['444b1ae4d6e2ef4f', '999999999999999900000'], ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'], ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'], ['41b3de4355555554', '333333333.33333325'], ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'], ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'], ['43143ff3c1cb0959', '1424953923781206.2'],
  ]
  for (const [hex, text] of numbers) t.equal(canonicalize(Buffer.from(hex, 'hex').readDoubleBE(0)), text, `0x${hex}`)
  t.throws(() => canonicalize(Number.NaN), /NaN is not allowed/)
  t.throws(() => canonicalize(Number.POSITIVE_INFINITY), /Infinity is not allowed/)
  t.throws(() => canonicalize({ a: '\ud800' }), /Lone surrogate is not allowed/, 'the check that needs String.prototype.isWellFormed')
})

t.test('PGlite is pinned past its dialect\'s peer range by an override, and works with it', async t => {
  const pglite = manifest.dependencies['@electric-sql/pglite']!
  t.match(pglite, /^\d+\.\d+\.\d+$/, 'one exact version (a data folder does not open under another PostgreSQL build)')
  t.equal(installed('@electric-sql/pglite').version, pglite)
  t.same(manifest.overrides, { 'kysely-pglite-dialect': { '@electric-sql/pglite': '$@electric-sql/pglite' } })
  const peer = installed('kysely-pglite-dialect').peerDependencies!['@electric-sql/pglite']!
  t.notOk(satisfies(pglite, peer), `the dialect declares ${peer}: without the override npm would refuse ${pglite}`)
  const pg = await PGlite.create()
  const db = new Kysely<any>({ dialect: new PGliteDialect(pg) })
  t.teardown(async () => { await db.destroy(); if (!pg.closed) await pg.close() })
  const r = await sql<{ v: string, n: number }>`select current_setting('server_version') as v, 40 + 2 as n`.execute(db)
  t.equal(r.rows[0]!.n, 42)
  t.match(r.rows[0]!.v, /^1[5-9]\./)
})

t.test('fastify\'s content-disposition and cookie, which declare Node 22, on this Node', async t => {
  // @fastify/static's reply.download names the file with content-disposition.
  const fromStatic = createRequire(fileURLToPath(import.meta.resolve('@fastify/static')))
  const cd = fromStatic('content-disposition') as { create (name: string): string, parse (header: string): { type: string, parameters: Record<string, string> } }
  const header = cd.create('résumé.pdf')
  t.equal(header, 'attachment; filename="r?sum?.pdf"; filename*=UTF-8\'\'r%C3%A9sum%C3%A9.pdf')
  t.same(cd.parse(header), { type: 'attachment', parameters: { filename: 'résumé.pdf' } })
  // fastify's inject (light-my-request) reads a response's cookies with cookie.
  const app = Fastify()
  t.teardown(() => app.close())
  app.get('/', async (_req, reply) => reply.header('set-cookie', 'session=abc; Path=/; HttpOnly').send('ok'))
  const res = await app.inject({ url: '/' })
  t.same(res.cookies.map(c => [c.name, c.value, c.path, c.httpOnly]), [['session', 'abc', '/', true]])
})
