// An agreement that grants a dimension only in groups of codes, end to end: Serbia publishes
// Croatia's tables in the agreement's group names, Croatia pulls and checks them, the values
// are the sums of Serbia's own cells, and a release finer than the groups is refused.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { checkCells } from '../../src/exchange/check-object.js'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { withdrawRecords } from '../../src/ingest/import-file.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { receivedCells } from '../../src/exchange/received.js'
import { lintAgreementText, nodeAgreements, POLICIES_DIR } from '../../src/policy/load.js'
import type { Release } from '../../src/protocol/messages.js'
import { EXPLOIT } from '../../src/protocol/codelists.js'
import { makeBundle, verifyBundle } from '../../src/totals/bundle.js'
import { computeTotals } from '../../src/totals/compute.js'
import { gatherTotals, regionalTotals } from '../../src/totals/regional.js'
import { FIXTURES, startPair, testClock } from '../helpers/federation.js'
import { tempDir } from '../helpers/node.js'

const GROUPS: Record<string, string[]> = { SEXUAL: ['SEX'], LABOUR: ['LAB', 'DOM', 'BEG'] }
const OTHER = EXPLOIT.codes.map(c => c.code).filter(c => !Object.values(GROUPS).flat().includes(c))
const TEXT = readFileSync(join(FIXTURES, 'agreements', 'srb-hrv.yaml'), 'utf8').replace('    by: [EXPLOIT, SEX]\n',
  '    by: [EXPLOIT, SEX]\n    groups:\n      EXPLOIT:\n        SEXUAL: [SEX]\n        LABOUR: [LAB, DOM, BEG]\n        OTHER: rest\n')

t.test('a grouped grant, published, pulled and checked', async t => {
  const file = join(tempDir(t), 'srb-hrv.yaml')
  writeFileSync(file, TEXT)
  const clock = testClock()
  const [srb, hrv] = await startPair(t, 'SRB', 'HRV', [file], clock)
  // 80 synthetic victims in 2023: enough for some figures to be published at a threshold of 5.
  const victims = await srb.importSyntheticVictims([2023], 11)
  await srb.publish()
  const pulled = await hrv.sync('SRB')
  t.same([pulled.ok, pulled.rejected], [true, {}])
  t.ok(pulled.applied > 0)

  // Serbia's own table: the truth each received cell is checked against.
  const own = await srb.running.node.db.db.selectFrom('indicator_cell').select(['year', 'cell_key', 'value']).where('indicator', '=', 'V2').execute()
  const members = (group: string): string[] => group === '_T' ? ['_T'] : group === 'OTHER' ? OTHER : GROUPS[group]!
  let compared = 0
  let suppressed = 0
  for (const year of [...new Set(own.map(r => r.year))]) {
    const cells = await receivedCells(hrv.running.node.db.db, { publisher: 'SRB', indicator: 'V2', year })
    t.ok(cells.length > 0, `${year}: received`)
    for (const c of cells) {
      t.ok(['SEXUAL', 'LABOUR', 'OTHER', '_T'].includes(c.dims.EXPLOIT!), `${year}: EXPLOIT ${c.dims.EXPLOIT!} is a group name or the total`)
      t.equal(c.dims.AGE_GROUP, '_T', 'AGE_GROUP is not granted')
      if (c.value === null || c.value === undefined) { suppressed++; continue }
      const truth = own.filter(r => r.year === year && members(c.dims.EXPLOIT!).includes(r.cell_key.split('|')[0]!) && r.cell_key.split('|')[1] === c.dims.SEX && r.cell_key.split('|')[2] === '_T')
        .reduce((sum, r) => sum + r.value, 0)
      t.equal(c.value, truth, `${year} ${c.dims.EXPLOIT!}/${c.dims.SEX!}: the sum of Serbia's cells`)
      compared++
    }
  }
  t.same([compared, suppressed], [5, 10], '80 victims, V1 and V2 protected together at a threshold of 5: 5 cells published (each equal to its sum), 10 hidden')

  // Croatia's regional figures: SRB counts in totals, not in a breakdown by form of exploitation
  // (its group names do not add up with other countries' codes).
  const deps = { db: hrv.running.node.db.db, node: 'HRV', kind: 'country' as const, agreements: nodeAgreements(hrv.home), nowMs: clock.now() }
  const bySex = await regionalTotals(deps, { indicator: 'V2', years: [2023], by: ['SEX'] })
  t.equal(bySex.contributions.find(c => c.country === 'SRB')?.status, 'included')
  const byForm = await regionalTotals(deps, { indicator: 'V2', years: [2023], by: ['EXPLOIT'] })
  t.same(byForm.contributions.find(c => c.country === 'SRB'), { country: 'SRB', year: 2023, status: 'missing', reason: 'breakdown_not_granted' })

  // A revision: Serbia withdraws records of 2023. 2023 was released: the revision is held back,
  // nothing is re-issued, and Croatia keeps the figures it holds.
  const before = await receivedCells(hrv.running.node.db.db, { publisher: 'SRB', indicator: 'V2', year: 2023 })
  clock.advance(60_000)
  const ids = join(tempDir(t), 'withdraw.csv')
  writeFileSync(ids, `record_id\n${readFileSync(victims, 'utf8').split('\n').slice(1, 3).map(l => l.split(',')[0]).join('\n')}\n`)
  const withdrawn = await withdrawRecords({ db: srb.running.node.db.db, clock, reporter: 'SRB', keyer: recordKeyer(Buffer.alloc(32, 7)), crosswalk: EMPTY_CROSSWALK }, { kind: 'victims', path: ids })
  t.equal(withdrawn.withdrawn, 2)
  const revised = await srb.publish()
  t.same([revised.issued, revised.held.map(h => [h.population, h.year, h.added, h.withdrawn])], [[], [['victims', 2023, 0, 2]]], 'the revision of 2023 is held back')
  const again = await hrv.sync('SRB')
  t.same([again.ok, again.applied, again.rejected], [true, 0, {}])
  t.same(await receivedCells(hrv.running.node.db.db, { publisher: 'SRB', indicator: 'V2', year: 2023 }), before, 'Croatia holds the same figures')

  // A new version of the agreement with the same groups: every table is sent again under its
  // hash, with the same cells (Croatia stores them once, under the first release). The groups
  // are read from the agreement the release in force names, the one Croatia now holds: V2 still
  // links by its groups, and a bundle of the result checks.
  for (const home of [srb.home, hrv.home]) writeFileSync(join(home, POLICIES_DIR, 'srb-hrv.yaml'), TEXT.replace(/^version: 1$/m, 'version: 2'))
  clock.advance(60_000)
  t.ok((await srb.publish()).issued.length > 0)
  t.ok((await hrv.sync('SRB')).ok)
  const now = { ...deps, agreements: nodeAgreements(hrv.home), nowMs: clock.now() }
  const input = await gatherTotals(now, { indicator: 'V2', years: [2023], by: ['SEX'] })
  const result = await computeTotals(input)
  const part = result.contributions.find(c => c.country === 'SRB')!
  t.same([part.intervals, part.intervalsNote], ['exact', undefined], 'the groups of the agreement in force are known')
  t.same(Object.keys(input.agreements ?? {}), [nodeAgreements(hrv.home)[0]!.hash])
  t.same(await verifyBundle(JSON.parse(JSON.stringify(await makeBundle(hrv.running.node.db.db, input, result)))).then(v => [v.ok, v.problem]), [true, null])
})

t.test('the receiver refuses what is finer than the groups, and names it', async t => {
  const held = { file: 'srb-hrv.yaml', hash: 'h', agreement: lintAgreementText(TEXT, 'srb-hrv.yaml').agreement! }
  const release = (exploit: string): Release => ({
    dataset: { indicator: 'V2', years: [2023] },
    cells: [{ key: { TIME_PERIOD: '2023', EXPLOIT: exploit, SEX: '_T', AGE_GROUP: '_T' }, value: 7, obs_status: 'A', conf_status: 'F' }],
  }) as unknown as Release
  t.doesNotThrow(() => { checkCells(release('LABOUR'), held) }, 'a group name passes')
  t.doesNotThrow(() => { checkCells(release('_T'), held) }, 'the total passes')
  t.throws(() => { checkCells(release('LAB'), held) }, { code: 'GRANT_EXCEEDED', message: 'cells[0]: EXPLOIT "LAB": the agreement grants EXPLOIT only in the groups SEXUAL, LABOUR, OTHER' }, 'a code inside a group is finer than granted')
  t.throws(() => { checkCells(release('FORCED'), held) }, { code: 'GRANT_EXCEEDED', message: 'cells[0]: EXPLOIT "FORCED": the agreement grants EXPLOIT only in the groups SEXUAL, LABOUR, OTHER' })
  const detail = { ...held, agreement: lintAgreementText(readFileSync(join(FIXTURES, 'agreements', 'srb-hrv.yaml'), 'utf8'), 'x.yaml').agreement! }
  t.throws(() => { checkCells(release('LABOUR'), detail) }, { code: 'CELL_INVALID', message: 'cells[0]: EXPLOIT "LABOUR" is not a code of EXPLOIT' }, 'a group name is no code where the grant is in detail')
})
