// Regional totals at a liaison node fed by two real country nodes: contributions checked
// against each publisher's own unprotected tables, suppressed parts bounded around the truth by
// the exact intervals over everything held from the country (checked against the independent
// auditor), missing and stale countries, as-of reads, and provenance bundles with their linked
// releases (and tampered ones).
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs'
import { finished } from 'node:stream/promises'
import { join } from 'node:path'
import t from 'tap'
import { writeSyntheticCsv } from '../../src/ingest/synthetic.js'
import { nodeAgreements } from '../../src/policy/load.js'
import { keySetFromJwks } from '../../src/protocol/keys.js'
import { parseAsOf } from '../../src/as-of.js'
import { makeBundle, verifyBundle } from '../../src/totals/bundle.js'
import { computeTotals } from '../../src/totals/compute.js'
import { gatherTotals, regionalTotals, type TotalsDeps } from '../../src/totals/regional.js'
import { toSdmxJson } from '../../src/totals/sdmx.js'
import { receivedCells } from '../../src/exchange/received.js'
import { auditReceived, type ReceivedTable } from '../helpers/independent-auditor.js'
import { connect, FIXTURES, SAMPLE_AGREEMENTS, startPair, startTestNode, testClock, type TestNode } from '../helpers/federation.js'
import { tempDir } from '../helpers/node.js'

const agreement = (name: string): string => join(SAMPLE_AGREEMENTS, `${name}.yaml`)

async function synthetic (t: Parameters<typeof tempDir>[0], node: TestNode, seed: number): Promise<void> {
  const file = join(tempDir(t), `${node.id}.csv`)
  const out = createWriteStream(file)
  await writeSyntheticCsv('victims', { country: node.id, years: [2022, 2023], victimsPerYear: 60, seed }, out)
  out.end()
  await finished(out)
  await node.importVictims(file)
}

t.test('a liaison officer\'s regional totals', async t => {
  const clock = testClock()
  const srb = await startTestNode(t, 'SRB', clock, [agreement('srb-europol')])
  const bih = await startTestNode(t, 'BIH', clock, [agreement('bih-europol')])
  const eu = await startTestNode(t, 'EUROPOL', clock, [agreement('srb-europol'), agreement('bih-europol'), agreement('alb-europol')])
  for (const country of [srb, bih]) {
    await connect(eu, country, clock)
    await connect(country, eu, clock)
  }
  await synthetic(t, srb, 1)
  await synthetic(t, bih, 2)
  const beforeSync = new Date(clock.now())
  clock.advance(60_000)
  for (const country of [srb, bih]) {
    const p = await country.publish()
    t.same(p.refused, [], `${country.id}: every table protected`)
  }
  for (const id of ['SRB', 'BIH']) t.ok((await eu.sync(id)).ok, `EUROPOL pulled ${id}`)

  const deps = (): TotalsDeps => ({ db: eu.running.node.db.db, node: 'EUROPOL', kind: 'liaison', agreements: nodeAgreements(eu.home), nowMs: clock.now() })
  const r = await regionalTotals(deps(), { indicator: 'V1', years: [2022, 2023], by: ['SEX'] })
  t.same(r.contributions.filter(c => c.year === 2023).map(c => `${c.country} ${c.status} ${c.reason ?? c.source}`), [
    'ALB missing no_data', 'BIH included release', 'HRV missing no_agreement', 'MKD missing no_agreement', 'MNE missing no_agreement', 'SRB included release', 'XKX missing no_agreement',
  ])

  // Every part is the publisher's own figure when published, and bounds it when suppressed.
  let suppressedParts = 0
  for (const cell of r.cells) {
    for (const part of cell.parts) {
      const own = part.country === 'SRB' ? srb : bih
      const key = ['_T', cell.key.SEX, '_T', '_T'].join('|')
      const row = await own.running.node.db.db.selectFrom('indicator_cell').select('value').where('indicator', '=', 'V1').where('year', '=', Number(cell.key.TIME_PERIOD)).where('cell_key', '=', key).executeTakeFirst()
      const truth = Number(row?.value ?? 0)
      if (part.suppressed === true) {
        suppressedParts++
        t.ok(part.lower <= truth && (part.upper === null || truth <= part.upper), `${part.country} ${cell.key.TIME_PERIOD} SEX=${cell.key.SEX}: [${part.lower}, ${part.upper}] holds ${truth}`)
      } else {
        t.equal(part.value, truth, `${part.country} ${cell.key.TIME_PERIOD} SEX=${cell.key.SEX}: ${truth} as published`)
      }
    }
    if (cell.value !== undefined) t.equal(cell.value, cell.parts.reduce((s, p) => s + p.value!, 0))
    else t.ok(cell.parts.some(p => p.suppressed === true) && cell.obs_status === 'E' && cell.conf_status === 'C', 'an interval total has a suppressed part')
  }
  t.ok(suppressedParts > 0, `some parts are suppressed (${suppressedParts}) and none is read as zero`)
  t.same(r.contributions.filter(c => c.status === 'included').map(c => c.intervals), ['exact', 'exact', 'exact', 'exact'], 'exact intervals for every country-year')

  // Each suppressed part is the exact interval over everything EUROPOL holds from that country
  // for that year (V1, V2, V3 count the same victims): what the independent auditor computes
  // from the same received tables.
  for (const c of r.contributions.filter(c => c.status === 'included')) {
    const held: ReceivedTable[] = []
    for (const indicator of ['V1', 'V2', 'V3']) {
      const cells = await receivedCells(eu.running.node.db.db, { publisher: c.country, indicator, year: c.year })
      if (cells.length === 0) continue
      const dims = Object.keys(cells[0]!.dims)
      held.push({ recipient: 'EUROPOL', round: 0, indicator, year: c.year, by: dims.filter(d => cells.some(x => x.dims[d] !== '_T')), cells: cells.map(x => ({ key: x.dims, ...(x.value === null ? {} : { value: x.value }) })) })
    }
    const audit = new Map((await auditReceived(held, { threshold: 5 })).intervals.map(i => [`${i.indicator}:${i.key}`, [i.lower, i.upper]]))
    const shown = r.cells.filter(cell => cell.key.TIME_PERIOD === String(c.year)).flatMap(cell => cell.parts.filter(p => p.country === c.country && p.suppressed === true).map(p => [cell.key.SEX, p.lower, p.upper]))
    t.ok(shown.length > 0, `${c.country} ${c.year}: ${shown.length} suppressed part(s) shown`)
    t.same(shown, shown.map(([sex]) => [sex, ...audit.get(`V1:_T|${sex}|_T|_T`)!]), `${c.country} ${c.year}: the auditor's intervals`)
  }

  // A breakdown no agreement grants: the country is missing, not zero.
  const byCitizen = await regionalTotals(deps(), { indicator: 'V1', years: [2023], by: ['CITIZEN_GRP'] })
  t.same(byCitizen.cells, [])
  t.same(byCitizen.contributions.filter(c => c.status === 'missing' && c.reason === 'breakdown_not_granted').map(c => c.country), ['BIH', 'SRB'])

  // As of before the pull: nothing was held.
  const then = await regionalTotals(deps(), { indicator: 'V1', years: [2023], by: [], asOf: beforeSync })
  t.same([then.cells, then.contributions.filter(c => c.status === 'included')], [[], []])
  // "As held that day": a date alone reads the day's end, so what arrived during it counts.
  const day = new Date(clock.now()).toISOString().slice(0, 10)
  const thatDay = await regionalTotals(deps(), { indicator: 'V1', years: [2023], by: [], asOf: parseAsOf(day) })
  t.same(thatDay.contributions.filter(c => c.status === 'included').map(c => c.country), ['BIH', 'SRB'], `as of ${day}, the day of the pull`)
  const dayBefore = new Date(Date.parse(day) - 86400_000).toISOString().slice(0, 10)
  t.same((await regionalTotals(deps(), { indicator: 'V1', years: [2023], by: [], asOf: parseAsOf(dayBefore) })).cells, [], `as of ${dayBefore}: nothing yet`)

  // V3: mirror statistics between the two.
  const v3 = await regionalTotals(deps(), { indicator: 'V3', years: [2023], by: [] })
  t.ok(v3.mirror.every(m => ['SRB', 'BIH'].includes(m.destination) && ['SRB', 'BIH'].includes(m.origin) && m.destination !== m.origin))

  // SDMX-JSON carries the same totals.
  const sdmx = toSdmxJson(r)
  t.equal(Object.keys(sdmx.data!.dataSets[0]!.observations!).length, r.cells.length)

  // Provenance: the bundle verifies, and fails when the result or a release is tampered with.
  const input = await gatherTotals(deps(), { indicator: 'V1', years: [2022, 2023], by: ['SEX'] })
  const bundle = await makeBundle(eu.running.node.db.db, input, await computeTotals(input))
  t.same(bundle.result, r)
  const ok = await verifyBundle(JSON.parse(JSON.stringify(bundle)))
  // Each country-year's V1 release and the V2 and V3 releases linked to it.
  t.same([ok.ok, ok.problem, ok.releases, ok.publishers.map(p => p.id)], [true, null, 12, ['BIH', 'SRB']])
  t.same(bundle.input.tables.map(m => [m.country, m.year, (m.linked ?? []).map(l => l.indicator)]), [['BIH', 2022, ['V2', 'V3']], ['SRB', 2022, ['V2', 'V3']], ['BIH', 2023, ['V2', 'V3']], ['SRB', 2023, ['V2', 'V3']]])
  const unlinked = JSON.parse(JSON.stringify(bundle)) as typeof bundle
  const linkedId = unlinked.input.tables[0]!.linked![0]!.releaseId
  delete unlinked.releases[linkedId]
  const v0 = await verifyBundle(unlinked)
  t.same([v0.ok, v0.problem], [false, `BIH 2022 V2: release ${linkedId} is not in the bundle`], 'a linked release is checked like the others')
  const exact = bundle.result.cells.findIndex(c => c.value !== undefined)
  const forged = JSON.parse(JSON.stringify(bundle)) as typeof bundle
  forged.result.cells[exact]!.value! += 1
  const v1 = await verifyBundle(forged)
  t.same([v1.ok, v1.problem], [false, `the result's cell ${JSON.stringify(bundle.result.cells[exact]!.key)} differs from what its releases give`])
  const altered = JSON.parse(JSON.stringify(bundle)) as typeof bundle
  const id = Object.keys(altered.releases)[0]!
  const payload = altered.releases[id]!.payload
  altered.releases[id]!.payload = payload.slice(0, 20) + (payload[20] === 'A' ? 'B' : 'A') + payload.slice(21)
  const v2 = await verifyBundle(altered)
  t.equal(v2.ok, false)
  t.match(v2.problem, /SIGNATURE_INVALID/)
  const bihKeys = keySetFromJwks({ keys: [bih.running.node.signingKey.publicJwk] })
  const srbKeys = keySetFromJwks({ keys: [srb.running.node.signingKey.publicJwk] })
  const impostor = await verifyBundle(bundle, { trust: new Map([['BIH', bihKeys], ['SRB', bihKeys]]) })
  t.same([impostor.ok, impostor.problem?.includes('KEY_UNKNOWN')], [false, true], 'trusted keys that are not the publisher\'s: refused')
  const trusted = await verifyBundle(bundle, { trust: new Map([['BIH', bihKeys], ['SRB', srbKeys]]) })
  t.same([trusted.ok, trusted.publishers.map(p => p.keysFrom)], [true, ['trusted', 'trusted']])

  // Every object in a bundle must check, and every date shown must be the signed one.
  const edit = (change: (b: typeof bundle) => void): typeof bundle => {
    const copy = JSON.parse(JSON.stringify(bundle)) as typeof bundle
    change(copy)
    return copy
  }
  const first = bundle.input.tables[0]!
  const alb = nodeAgreements(eu.home).find(l => l.agreement.provider === 'ALB')!
  const srbId = bundle.input.tables.find(m => m.country === 'SRB')!.releaseId!
  const forgeries: Array<[string, typeof bundle, string]> = [
    // --jwks means only those keys: a publisher left out is refused, not taken from the bundle.
    ['a publisher without a trusted key', bundle, 'SRB: no trusted key (the keys given are for BIH; the bundle\'s own keys are not used when keys are given)'],
    ['a release nobody trusts, added', edit(b => { b.releases.Zm9yZ2Vk = { ...b.releases[srbId]!, signatures: [] } as never }), 'release Zm9yZ2Vk is in the bundle but no table uses it'],
    ['an issue date edited', edit(b => { b.input.tables[0]!.issuedAt = '2020-01-01T00:00:00.000Z' }), `BIH 2022: the issue date shown (2020-01-01T00:00:00.000Z) is not the signed one (${first.issuedAt!})`],
    ['an expiry edited', edit(b => { b.input.tables[0]!.expiresAt = '2099-01-01T00:00:00.000Z' }), `BIH 2022: the expiry shown (2099-01-01T00:00:00.000Z) is not the signed one (${first.expiresAt!})`],
    ['an applied date before the issue', edit(b => { b.input.tables[0]!.appliedAt = '2020-01-01T00:00:00.000Z' }), `BIH 2022: the date applied (2020-01-01T00:00:00.000Z) is not between the release's issue (${first.issuedAt!}) and ${bundle.input.computedAt}`],
    ['computed after the releases expired', edit(b => { b.input.computedAt = '2099-01-01T00:00:00.000Z' }), `BIH 2022: release ${first.releaseId!} had expired (${first.expiresAt!}) at 2099-01-01T00:00:00.000Z, the time the result is for`],
    ['a table marked own', edit(b => { b.input.tables[0]!.source = 'own' }), 'BIH 2022: a bundle carries signed releases only, and this table is marked "own"'],
    ['releases sent to another node', edit(b => { b.input.node = 'SELEC' }), `BIH 2022: release ${first.releaseId!} was sent to EUROPOL, not to SELEC, which computed the result`],
    ['a spare agreement', edit(b => { b.agreements[alb.hash] = alb.agreement }), `the agreement ${alb.hash} is in the bundle but no release was sent under it`],
    ['keys of a stranger', edit(b => { b.keys.MNE = b.keys.SRB! }), 'the bundle holds keys for MNE, which published none of its releases'],
  ]
  for (const [what, forgery, problem] of forgeries) {
    const v = await verifyBundle(forgery, what === 'a publisher without a trusted key' ? { trust: new Map([['BIH', bihKeys]]) } : {})
    t.same([v.ok, v.problem], [false, problem], `refused: ${what}`)
  }

  // A week without a refresh: both feeds are stale, and the countries missing as such.
  clock.advance(8 * 86400_000)
  const stale = await regionalTotals(deps(), { indicator: 'V1', years: [2023], by: [] })
  t.same(stale.contributions.filter(c => c.reason === 'stale').map(c => c.country), ['BIH', 'SRB'])
  t.same(stale.cells, [])
})

t.test('a grant in groups: the bundle carries the agreement that says what the groups hold', async t => {
  // Serbia sends Croatia V1 by SEX and AGE_GROUP, and V2 by EXPLOIT and SEX with SEX only in
  // groups: what FEMALE and OTHER hold is in the agreement, and links V2 to V1 by sex.
  const text = readFileSync(join(FIXTURES, 'agreements', 'srb-hrv.yaml'), 'utf8').replace('    by: [EXPLOIT, SEX]\n',
    '    by: [EXPLOIT, SEX]\n    groups:\n      SEX:\n        FEMALE: [F]\n        OTHER: rest\n')
  const file = join(tempDir(t), 'srb-hrv.yaml')
  writeFileSync(file, text)
  const clock = testClock()
  const [srb, hrv] = await startPair(t, 'SRB', 'HRV', [file], clock)
  await srb.importSyntheticVictims([2023], 11)
  await srb.publish()
  t.ok((await hrv.sync('SRB')).ok)

  const agreements = nodeAgreements(hrv.home)
  const deps: TotalsDeps = { db: hrv.running.node.db.db, node: 'HRV', kind: 'country', agreements, nowMs: clock.now() }
  const input = await gatherTotals(deps, { indicator: 'V1', years: [2023], by: ['SEX'] })
  const srbTable = input.tables.find(x => x.country === 'SRB')!
  t.same(srbTable.linked?.map(l => [l.indicator, l.groups]), [['V2', { SEX: { FEMALE: ['F'], OTHER: 'rest' } }]], 'V2 with the groups of its grant')
  t.same(Object.keys(input.agreements ?? {}), [agreements[0]!.hash])
  const result = await computeTotals(input)
  const srbPart = result.contributions.find(c => c.country === 'SRB')!
  t.same([srbPart.status, srbPart.intervals], ['included', 'exact'])

  // The same intervals as the independent auditor's, told the groups.
  const held: ReceivedTable[] = []
  for (const indicator of ['V1', 'V2']) {
    const cells = await receivedCells(hrv.running.node.db.db, { publisher: 'SRB', indicator, year: 2023 })
    const dims = Object.keys(cells[0]!.dims)
    held.push({
      recipient: 'HRV',
      round: 0,
      indicator,
      year: 2023,
      by: dims.filter(d => cells.some(x => x.dims[d] !== '_T')),
      ...(indicator === 'V2' ? { groups: { SEX: { FEMALE: ['F'], OTHER: 'rest' as const } } } : {}),
      cells: cells.map(x => ({ key: x.dims, ...(x.value === null ? {} : { value: x.value }) })),
    })
  }
  const audit = new Map((await auditReceived(held, { threshold: 3 })).intervals.map(i => [`${i.indicator}:${i.key}`, [i.lower, i.upper]]))
  const shown = result.cells.flatMap(cell => cell.parts.filter(p => p.country === 'SRB' && p.suppressed === true).map(p => [cell.key.SEX, p.lower, p.upper]))
  t.ok(shown.length > 0, `${shown.length} suppressed part(s) shown`)
  t.same(shown, shown.map(([sex]) => [sex, ...audit.get(`V1:_T|${sex}|_T|_T`)!]), 'the auditor\'s intervals')

  t.same(result.contributions.find(c => c.country === 'HRV'), { country: 'HRV', year: 2023, status: 'missing', reason: 'own_unprotected' }, 'the own country, unless its operator asks')
  await t.rejects(makeBundle(hrv.running.node.db.db, { ...input, tables: [...input.tables, { country: 'HRV', year: 2023, source: 'own', cells: [{ dims: { SEX: 'F' }, value: 1 }] }] }, result),
    { code: 'USAGE', message: 'a bundle carries signed releases only: HRV 2023 is this node\'s own, unprotected table (gather the totals without it)' })
  const bundle = await makeBundle(hrv.running.node.db.db, input, result)
  t.same(Object.keys(bundle.agreements), [agreements[0]!.hash])
  const ok = await verifyBundle(JSON.parse(JSON.stringify(bundle)))
  t.same([ok.ok, ok.problem, ok.releases], [true, null, 2])
  // A different grouping under the same hash is refused.
  const forged = JSON.parse(JSON.stringify(bundle)) as typeof bundle
  forged.agreements[agreements[0]!.hash]!.grants[1]!.groups = { SEX: { FEMALE: ['F', 'U'], OTHER: 'rest' } }
  t.same((await verifyBundle(forged)).problem, `the agreement filed under ${agreements[0]!.hash} has another hash`)
  // Without the agreement the groups are unknown: V2 no longer links by sex, and the result
  // recomputed (wider intervals, said so) is not the one in the bundle.
  const without = JSON.parse(JSON.stringify(bundle)) as typeof bundle
  without.agreements = {}
  const v = await verifyBundle(without)
  t.equal(v.ok, false)
  t.match(v.problem, /differs from what its releases give/)
})
