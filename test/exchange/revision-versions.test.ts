// The version of a population-year travels with each release (protocol section 1 and `release`),
// so a recipient that pulled a revision only part-way links each table only with the tables of
// the same version: its intervals stay valid (they hold the published figures' true values) and
// say why they are wider, a bundle checked offline agrees, and once the pull completes the
// intervals are exact again. A recipient whose descriptor does not accept the member gets
// releases without it.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { findPeer } from '../../src/exchange/peers.js'
import { nodeAgreements } from '../../src/policy/load.js'
import { findIndicator } from '../../src/protocol/indicators.js'
import type { Release } from '../../src/protocol/messages.js'
import { makeBundle, verifyBundle } from '../../src/totals/bundle.js'
import { computeTotals } from '../../src/totals/compute.js'
import { gatherTotals, type TotalsDeps } from '../../src/totals/regional.js'
import type { RegionalResult } from '../../src/totals/types.js'
import { FIXTURES, SAMPLE_AGREEMENTS, startPair, testClock, type TestNode } from '../helpers/federation.js'
import { tempDir } from '../helpers/node.js'

const payloadOf = (signed: unknown): Release => JSON.parse(Buffer.from((typeof signed === 'string' ? JSON.parse(signed) : signed).payload, 'base64url').toString('utf8')) as Release

/** The version each slice EUROPOL holds from SRB names, as `indicator year version`. */
async function heldVersions (eu: TestNode): Promise<string[]> {
  const rows = await eu.running.node.db.db.selectFrom('received_slice').select(['indicator', 'year', 'population_version'])
    .where('publisher', '=', 'SRB').where('replaced_at', 'is', null).orderBy('indicator').orderBy('year').execute()
  return rows.map(r => `${r.indicator} ${r.year} ${String(r.population_version)}`)
}

t.test('a revision pulled part-way: tables of different versions are not linked, and bounds stay true', async t => {
  const clock = testClock()
  const [srb, eu] = await startPair(t, 'SRB', 'EUROPOL', [join(SAMPLE_AGREEMENTS, 'srb-europol.yaml')], clock)
  t.same((await findPeer(srb.running.node.db.db, 'EUROPOL'))!.accepts, ['release.version'], 'the recipient\'s descriptor accepts release.version, and the publisher stored it')

  await srb.importSyntheticVictims([2023, 2024], 11)
  const first = await srb.publish()
  const outgoing = await srb.running.node.db.db.selectFrom('outgoing').select(['id', 'signed']).where('id', 'in', first.issued.map(i => i.id)).execute()
  t.same([...new Set(outgoing.map(o => payloadOf(o.signed).version))], [0], 'every first release names version 0')
  t.ok((await eu.sync('SRB')).ok)
  t.same(await heldVersions(eu), ['V1 2023 0', 'V1 2024 0', 'V2 2023 0', 'V2 2024 0', 'V3 2023 0', 'V3 2024 0'])

  // Fifteen more victims of 2023: revision 1 goes out, every 2023 table again (V1, V2, V3).
  const more = join(tempDir(t), 'more.csv')
  writeFileSync(more, 'record_id,registered_on,status,sex,age,citizenship,country_of_exploitation,exploitation,identified_by,assistance\n' +
    Array.from({ length: 15 }, (_, i) => `W${i + 1},2023-07-${String(i + 1).padStart(2, '0')},IDENT,${i % 3 === 0 ? 'F' : 'M'},${20 + i},SRB,SRB,${i % 2 === 0 ? 'SEX' : 'LAB'},POL,`).join('\n') + '\n')
  await srb.importVictims(more)
  clock.advance(3600_000)
  const revised = await srb.publish()
  t.same(revised.revisions.map(r => [r.year, r.version, r.added]), [[2023, 1, 15]])
  t.same(revised.issued.map(i => `${i.indicator} ${i.year}`), ['V1 2023', 'V2 2023', 'V3 2023'])

  // The pull stops after the first entry (one entry a page, the second page never answered).
  let pages = 0
  const cut: typeof fetch = async (input, init) => {
    if (++pages > 1) throw new Error('connection reset')
    return await fetch(input, init)
  }
  const part = await eu.sync('SRB', { pageSize: 1, fetch: cut })
  t.same([part.ok, part.toSeq - part.fromSeq, part.headSeq - part.toSeq], [false, 1, 2], 'one of the three entries applied')
  t.same(await heldVersions(eu), ['V1 2023 1', 'V1 2024 0', 'V2 2023 0', 'V2 2024 0', 'V3 2023 0', 'V3 2024 0'], 'V1 2023 at version 1, V2 and V3 still at version 0')

  const deps = (): TotalsDeps => ({ db: eu.running.node.db.db, node: 'EUROPOL', kind: 'liaison', agreements: nodeAgreements(eu.home), nowMs: clock.now() })
  const by = ['SEX', 'AGE_GROUP']
  const query = { indicator: 'V1', years: [2023], by }
  // The truth: Serbia's own V1 2023 now (its records are version 1).
  const dims = findIndicator('V1')!.dimensions.map(d => d.id)
  const truth = new Map((await srb.running.node.db.db.selectFrom('indicator_cell').select(['cell_key', 'value']).where('indicator', '=', 'V1').where('year', '=', 2023).execute())
    .map(c => [c.cell_key, Number(c.value)]))
  const checkTrue = (r: RegionalResult): number => {
    let n = 0
    for (const c of r.cells) {
      const key = dims.map(d => by.includes(d) ? c.key[d]! : '_T').join('|')
      for (const p of c.parts) {
        const value = truth.get(key) ?? 0
        if (p.suppressed === true) n++
        if (p.lower > value || (p.upper !== null && p.upper < value)) t.fail(`${key}: [${p.lower}, ${String(p.upper)}] does not hold ${value}`)
      }
    }
    return n
  }
  const input = await gatherTotals(deps(), query)
  const mixed = await computeTotals(input)
  const srbPart = mixed.contributions.find(c => c.country === 'SRB')!
  t.same([srbPart.version, srbPart.intervals, srbPart.intervalsNote], [1, 'wider', 'not linked: V2 (version 0), V3 (version 0) held at another version of the year than V1 (version 1)'])
  t.ok(checkTrue(mixed) > 0, 'suppressed parts shown, each holding its true value')
  // Linked as one population (as before versions), the two versions contradict each other (the
  // revision added 15 victims): the result would differ. The hand cases in
  // test/totals/exact.test.ts show the worse case, a hidden cell pinned to a wrong value.
  const unversioned = await computeTotals({ ...input, tables: input.tables.map(({ version: _v, ...x }) => ({ ...x, linked: x.linked?.map(({ version: _lv, ...l }) => l) })) })
  t.match(unversioned.contributions.find(c => c.country === 'SRB')!.intervalsNote, /contradict the publication rules/)
  // Offline, from the signed releases alone, the same result.
  const bundle = await makeBundle(eu.running.node.db.db, input, mixed)
  t.same(await verifyBundle(JSON.parse(JSON.stringify(bundle))).then(v => [v.ok, v.problem]), [true, null], 'the bundle of the part-way state checks')

  // The rest of the pull: every 2023 table at version 1, linked again, exact.
  t.ok((await eu.sync('SRB')).ok)
  t.same(await heldVersions(eu), ['V1 2023 1', 'V1 2024 0', 'V2 2023 1', 'V2 2024 0', 'V3 2023 1', 'V3 2024 0'])
  const whole = await computeTotals(await gatherTotals(deps(), query))
  const after = whole.contributions.find(c => c.country === 'SRB')!
  t.same([after.version, after.intervals, after.intervalsNote], [1, 'exact', undefined])
  t.ok(checkTrue(whole) > 0)
})

t.test('a recipient whose descriptor does not accept release.version gets releases without it', async t => {
  const clock = testClock()
  const [srb, eu] = await startPair(t, 'SRB', 'EUROPOL', [join(SAMPLE_AGREEMENTS, 'srb-europol.yaml')], clock)
  // As a node built before the member was defined would have announced: nothing.
  await srb.running.node.db.db.updateTable('peer').set({ accepts: '[]' }).where('id', '=', 'EUROPOL').execute()
  await srb.importVictims(join(FIXTURES, 'victims-small.csv'))
  const first = await srb.publish()
  const sent = await srb.running.node.db.db.selectFrom('outgoing').select('signed').where('id', 'in', first.issued.map(i => i.id)).execute()
  t.same(sent.map(o => Object.hasOwn(payloadOf(o.signed), 'version')), sent.map(() => false), 'no release names a version')
  t.same((await srb.publish()).issued, [], 'nothing re-issued')
  t.ok((await eu.sync('SRB')).ok)
  t.same(await heldVersions(eu), ['V1 2023 null', 'V1 2024 null', 'V2 2023 null', 'V2 2024 null', 'V3 2023 null', 'V3 2024 null'], 'held without a version')
  // Tables naming no version link with each other, as before; a bundle that states a version
  // beside its signed releases changes nothing: the version linking goes by is the signed one.
  const deps: TotalsDeps = { db: eu.running.node.db.db, node: 'EUROPOL', kind: 'liaison', agreements: nodeAgreements(eu.home), nowMs: clock.now() }
  const input = await gatherTotals(deps, { indicator: 'V1', years: [2023], by: ['SEX', 'AGE_GROUP'] })
  const result = await computeTotals(input)
  const srbPart = result.contributions.find(c => c.country === 'SRB')!
  t.same([srbPart.version, srbPart.intervals], [undefined, 'exact'])
  const bundle = JSON.parse(JSON.stringify(await makeBundle(eu.running.node.db.db, input, result))) as { input: { tables: Array<Record<string, unknown>> } }
  t.equal((await verifyBundle(bundle)).ok, true)
  bundle.input.tables[0]!.version = 0
  t.same(await verifyBundle(bundle).then(v => [v.ok, v.problem]), [true, null], 'the stated version is not used')
  // Once the recipient accepts it, every table is sent again with its version, once.
  await srb.running.node.db.db.updateTable('peer').set({ accepts: '["release.version"]' }).where('id', '=', 'EUROPOL').execute()
  const again = await srb.publish()
  t.same(again.issued.map(i => i.indicator + ' ' + i.year), first.issued.map(i => i.indicator + ' ' + i.year), 'every table again')
  const resent = await srb.running.node.db.db.selectFrom('outgoing').select('signed').where('id', 'in', again.issued.map(i => i.id)).execute()
  t.same([...new Set(resent.map(o => payloadOf(o.signed).version))], [0])
  t.same((await srb.publish()).issued, [], 'then nothing more')
})
