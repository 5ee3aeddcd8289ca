// Regional totals at a liaison node fed by two real country nodes: contributions checked
// against each publisher's own unprotected tables, suppressed parts bounded around the truth,
// missing and stale countries, as-of reads, and provenance bundles (and tampered ones).
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import { join } from 'node:path'
import t from 'tap'
import { writeSyntheticCsv } from '../../src/ingest/synthetic.js'
import { nodeAgreements } from '../../src/policy/load.js'
import { keySetFromJwks } from '../../src/protocol/keys.js'
import { makeBundle, verifyBundle } from '../../src/totals/bundle.js'
import { computeTotals } from '../../src/totals/compute.js'
import { gatherTotals, regionalTotals, type TotalsDeps } from '../../src/totals/regional.js'
import { toSdmxJson } from '../../src/totals/sdmx.js'
import { connect, SAMPLE_AGREEMENTS, startTestNode, testClock, type TestNode } from '../helpers/federation.js'
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

  // A breakdown no agreement grants: the country is missing, not zero.
  const byCitizen = await regionalTotals(deps(), { indicator: 'V1', years: [2023], by: ['CITIZEN_GRP'] })
  t.same(byCitizen.cells, [])
  t.same(byCitizen.contributions.filter(c => c.status === 'missing' && c.reason === 'breakdown_not_granted').map(c => c.country), ['BIH', 'SRB'])

  // As of before the pull: nothing was held.
  const then = await regionalTotals(deps(), { indicator: 'V1', years: [2023], by: [], asOf: beforeSync })
  t.same([then.cells, then.contributions.filter(c => c.status === 'included')], [[], []])

  // V3: mirror statistics between the two.
  const v3 = await regionalTotals(deps(), { indicator: 'V3', years: [2023], by: [] })
  t.ok(v3.mirror.every(m => ['SRB', 'BIH'].includes(m.destination) && ['SRB', 'BIH'].includes(m.origin) && m.destination !== m.origin))

  // SDMX-JSON carries the same totals.
  const sdmx = toSdmxJson(r)
  t.equal(Object.keys(sdmx.data!.dataSets[0]!.observations!).length, r.cells.length)

  // Provenance: the bundle verifies, and fails when the result or a release is tampered with.
  const input = await gatherTotals(deps(), { indicator: 'V1', years: [2022, 2023], by: ['SEX'] })
  const bundle = await makeBundle(eu.running.node.db.db, input, computeTotals(input))
  t.same(bundle.result, r)
  const ok = verifyBundle(JSON.parse(JSON.stringify(bundle)))
  t.same([ok.ok, ok.problem, ok.releases, ok.publishers.map(p => p.id)], [true, null, 4, ['BIH', 'SRB']])
  const exact = bundle.result.cells.findIndex(c => c.value !== undefined)
  const forged = JSON.parse(JSON.stringify(bundle)) as typeof bundle
  forged.result.cells[exact]!.value! += 1
  const v1 = verifyBundle(forged)
  t.same([v1.ok, v1.problem], [false, `the result's cell ${JSON.stringify(bundle.result.cells[exact]!.key)} differs from what its releases give`])
  const altered = JSON.parse(JSON.stringify(bundle)) as typeof bundle
  const id = Object.keys(altered.releases)[0]!
  const payload = altered.releases[id]!.payload
  altered.releases[id]!.payload = payload.slice(0, 20) + (payload[20] === 'A' ? 'B' : 'A') + payload.slice(21)
  const v2 = verifyBundle(altered)
  t.equal(v2.ok, false)
  t.match(v2.problem, /SIGNATURE_INVALID/)
  const impostor = verifyBundle(bundle, { trust: new Map([['SRB', keySetFromJwks({ keys: [bih.running.node.signingKey.publicJwk] })]]) })
  t.same([impostor.ok, impostor.problem?.includes('KEY_UNKNOWN')], [false, true], 'trusted keys that are not the publisher\'s: refused')

  // A week without a refresh: both feeds are stale, and the countries missing as such.
  clock.advance(8 * 86400_000)
  const stale = await regionalTotals(deps(), { indicator: 'V1', years: [2023], by: [] })
  t.same(stale.contributions.filter(c => c.reason === 'stale').map(c => c.country), ['BIH', 'SRB'])
  t.same(stale.cells, [])
})
