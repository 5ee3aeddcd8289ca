// as_of (GET /v1/regional/totals) and --as-of (dcimx totals): calendar dates within a range.
// Before: 0000-01-01 reached the database and gave 500; 2024-02-30 was read as 2024-03-01.
import t from 'tap'
import { AS_OF_RANGE, parseAsOf } from '../../src/as-of.js'
import { AppError } from '../../src/errors.js'
import { addUser } from '../../src/users/users.js'
import { testApp } from '../helpers/app.js'
import { cli } from '../helpers/cli.js'

const iso = (spec: string): string | undefined => parseAsOf(spec)?.toISOString()

t.test('parseAsOf: real calendar dates and times, within the range', async t => {
  t.equal(parseAsOf(undefined), undefined)
  t.equal(iso('2024-02-29'), '2024-02-29T23:59:59.999Z', 'a leap day, as held at its end (what arrived that day counts)')
  t.equal(iso('2000-02-29'), '2000-02-29T23:59:59.999Z', 'a leap day of a 400th year')
  t.equal(iso('2026-11-20T12:00:00Z'), '2026-11-20T12:00:00.000Z')
  t.equal(iso('2026-11-20T12:00Z'), '2026-11-20T12:00:00.000Z')
  t.equal(iso('2026-11-20T14:30:00.5+02:00'), '2026-11-20T12:30:00.500Z')
  t.equal(iso('2026-01-01T00:30:00-01:00'), '2026-01-01T01:30:00.000Z')
  t.equal(iso(AS_OF_RANGE.from), '1970-01-01T23:59:59.999Z')
  t.equal(iso(AS_OF_RANGE.to), '9999-12-31T23:59:59.999Z')
  const refused = (spec: string, why: string): void => {
    t.throws(() => parseAsOf(spec), new AppError('USAGE', `--as-of ${JSON.stringify(spec)}: ${why}`), spec)
  }
  const format = 'give a date (2026-11-20) or a date-time (2026-11-20T12:00:00Z)'
  refused('2024-02-30', 'there is no such day')
  refused('2023-02-29', 'there is no such day')
  refused('1900-02-29', 'there is no such day')
  refused('2024-04-31', 'there is no such day')
  refused('2024-13-01', 'there is no such day')
  refused('2024-00-10', 'there is no such day')
  refused('2024-01-00', 'there is no such day')
  refused('2024-01-01T24:00:00Z', 'there is no such time of day')
  refused('2024-01-01T12:60Z', 'there is no such time of day')
  refused('2024-01-01T12:00:00+24:00', 'there is no such offset from UTC')
  refused('0000-01-01', 'out of range, from 1970-01-01 to 9999-12-31')
  refused('1969-12-31', 'out of range, from 1970-01-01 to 9999-12-31')
  for (const spec of ['yesterday', '2024-1-1', '+002024-01-01', '2024-01-01T12:00:00', '2024-01-01 12:00Z', '2024-01-01T12:00:00ZZ', '20240101', '']) refused(spec, format)
  t.throws(() => parseAsOf('2024-02-30', 'as_of'), new AppError('USAGE', 'as_of "2024-02-30": there is no such day'), 'named as the caller gave it')
})

t.test('over HTTP and in the CLI: 400 USAGE, not 500 from the database', async t => {
  const { app, node } = await testApp(t, 'SRB')
  await addUser(node.db.db, { now: () => Date.UTC(2026, 10, 25) }, { name: 'ana', role: 'liaison', password: 'a long liaison password' })
  const login = await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'ana', password: 'a long liaison password' } })
  const get = async (asOf: string): Promise<{ status: number, body: Record<string, unknown> }> => {
    const res = await app.inject({ url: `/v1/regional/totals?indicator=V1&years=2023&as_of=${encodeURIComponent(asOf)}`, headers: { authorization: `Bearer ${login.json().token}` } })
    return { status: res.statusCode, body: res.json() }
  }
  for (const [asOf, why] of [['0000-01-01', 'out of range, from 1970-01-01 to 9999-12-31'], ['2024-02-30', 'there is no such day']] as const) {
    t.same(await get(asOf), { status: 400, body: { statusCode: 400, code: 'USAGE', error: 'Bad Request', message: `as_of "${asOf}": ${why}` } }, asOf)
  }
  const ok = await get('2024-02-29')
  t.same([ok.status, (ok.body.query as Record<string, unknown>).asOf], [200, '2024-02-29T23:59:59.999Z'])

  const r = await cli(['totals', '--home', node.config.home, '--indicator', 'V1', '--years', '2023', '--as-of', '0000-01-01'])
  t.same([r.status, r.stderr.trim()], [2, 'dcimx: --as-of "0000-01-01": out of range, from 1970-01-01 to 9999-12-31'])
})
