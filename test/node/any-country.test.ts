// Any country can run a node (issue 13): init takes any ISO 3166-1 alpha-3 code, CITIZEN_GRP
// keeps the Western Balkan group relative to the reporting country, agreements may name any
// country as provider or recipient, and regional totals cover the Western Balkan region plus
// the countries outside it that share with the node.
import { createWriteStream, writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import t from 'tap'
import { writeSyntheticCsv } from '../../src/ingest/synthetic.js'
import { resolveNodeIdentity } from '../../src/node/identity.js'
import { formatProblem, lintAgreementText, nodeAgreements, type LoadedAgreement } from '../../src/policy/load.js'
import { citizenGroup } from '../../src/protocol/area.js'
import { regionalTotals, totalsCountries } from '../../src/totals/regional.js'
import { cli } from '../helpers/cli.js'
import { connect, SAMPLE_AGREEMENTS, startTestNode, testClock } from '../helpers/federation.js'
import { makeHome, tempDir } from '../helpers/node.js'

const SRB_EUROPOL = readFileSync(join(SAMPLE_AGREEMENTS, 'srb-europol.yaml'), 'utf8')
/** The sample Serbia-Europol agreement, made Austria's. */
const AUT_EUROPOL = SRB_EUROPOL.replace('agreement: srb-europol', 'agreement: aut-europol').replace('provider: SRB', 'provider: AUT').replace('Europe/Belgrade', 'Europe/Vienna')
const WB = ['ALB', 'BIH', 'HRV', 'XKX', 'MNE', 'MKD', 'SRB']

t.test('init takes any ISO 3166-1 alpha-3 country, and refuses what is none', async t => {
  t.same(resolveNodeIdentity('AUT'), { id: 'AUT', kind: 'country', name: 'Austria' })
  t.same(resolveNodeIdentity('DEU'), { id: 'DEU', kind: 'country', name: 'Germany' })
  t.same(resolveNodeIdentity('ITA'), { id: 'ITA', kind: 'country', name: 'Italy' })
  t.same(resolveNodeIdentity('XKX'), { id: 'XKX', kind: 'country', name: 'Kosovo' }, 'Kosovo, outside ISO 3166-1, as the AREA codelist has it')
  t.same(resolveNodeIdentity('MKD'), { id: 'MKD', kind: 'country', name: 'North Macedonia' }, 'the programme\'s names for the region')
  const accepted = 'use an ISO 3166-1 alpha-3 country code (SRB, AUT, DEU ...; XKX for Kosovo), or a liaison identifier of 4-16 capital letters (EUROPOL, SELEC)'
  t.throws(() => resolveNodeIdentity('ZZZ'), { code: 'COUNTRY_INVALID', message: `"ZZZ" is not an ISO 3166-1 alpha-3 country code; ${accepted}` })
  t.throws(() => resolveNodeIdentity('UNK'), { code: 'COUNTRY_INVALID', message: `"UNK" is not an ISO 3166-1 alpha-3 country code; ${accepted}` }, 'the unknown area is no country')
  t.throws(() => resolveNodeIdentity('STLS'), { code: 'COUNTRY_INVALID', message: `"STLS" is the area code for stateless persons, not a node; ${accepted}` })
  t.throws(() => resolveNodeIdentity('aut'), { code: 'COUNTRY_INVALID', message: 'country "aut" must be written in capitals: AUT' })

  const home = join(tempDir(t), 'aut')
  const r = await cli(['init', '--country', 'AUT', '--home', home])
  t.equal(r.status, 0)
  t.match(r.stdout, new RegExp(`^created node AUT \\(Austria\\) in ${home}\\n`))
  t.same(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).node, { id: 'AUT', kind: 'country', name: 'Austria' })
})

t.test('CITIZEN_GRP is relative to the reporting country, with the Western Balkan group kept', async t => {
  const groups = (reporter: string): string[] => ['AUT', 'SRB', 'HRV', 'XKX', 'DEU', 'UKR', 'STLS', 'UNK'].map(c => citizenGroup(c, reporter))
  t.same(groups('AUT'), ['NAT', 'WB_OTH', 'WB_OTH', 'WB_OTH', 'EU_FOR', 'NEU_FOR', 'STLS', 'UNK'])
  t.same(groups('SRB'), ['EU_FOR', 'NAT', 'WB_OTH', 'WB_OTH', 'EU_FOR', 'NEU_FOR', 'STLS', 'UNK'])
  t.same(groups('USA'), ['EU_FOR', 'WB_OTH', 'WB_OTH', 'WB_OTH', 'EU_FOR', 'NEU_FOR', 'STLS', 'UNK'])

  // An Austrian node importing the fixture (Serbian, Albanian, Ukrainian and Croatian victims).
  const home = await makeHome(t, 'AUT')
  const env = home.databaseUrl === undefined ? {} : { DATABASE_URL: home.databaseUrl }
  const imported = await cli(['import', 'victims', join(import.meta.dirname, '..', 'fixtures', 'victims-small.csv'), '--home', home.home, '--no-publish'], { env })
  t.equal(imported.status, 0, imported.stderr)
  const table = await cli(['tables', '--home', home.home, '--indicator', 'V1', '--year', '2023', '--format', 'json'], { env })
  const cells = (JSON.parse(table.stdout) as { cells: Array<{ key: Record<string, string>, value: number }> }).cells
  const byGroup = cells.filter(c => c.key.VICT_STATUS === '_T' && c.key.SEX === '_T' && c.key.AGE_GROUP === '_T').map(c => `${c.key.CITIZEN_GRP} ${c.value}`)
  t.same(byGroup, ['WB_OTH 4', 'NEU_FOR 1', '_T 5'], 'three Serbians and an Albanian are other Western Balkan citizens in Austria; the Ukrainian is other foreign')
})

t.test('agreements: any country provides, any node receives; liaisons and non-countries do not provide', async t => {
  const lint = (text: string): string[] => lintAgreementText(text, 'a.yaml').problems.map(formatProblem)
  t.same(lint(AUT_EUROPOL), [], 'Austria to Europol')
  t.same(lint(AUT_EUROPOL.replace('recipient: EUROPOL', 'recipient: DEU')), [], 'Austria to Germany')
  t.same(lint(SRB_EUROPOL.replace('recipient: EUROPOL', 'recipient: ITA')), [], 'Serbia to Italy')
  const countries = 'an ISO 3166-1 alpha-3 code such as SRB or AUT; XKX for Kosovo'
  t.same(lint(AUT_EUROPOL.replace('recipient: EUROPOL', 'recipient: ZZZ')), [
    `a.yaml:7: recipient: "ZZZ" is not a node of the federation: the recipient is a country (${countries}) or a liaison organisation (EUROPOL, SELEC, IOM, MARRI, ICMPD, or another id of 4-16 capital letters)`,
  ])
  t.same(lint(AUT_EUROPOL.replace('provider: AUT', 'provider: SELEC')), [`a.yaml:6: provider: the provider must be a country that publishes (${countries}), not "SELEC"`])
  t.same(lint(AUT_EUROPOL.replace('provider: AUT', 'provider: UNK')), [`a.yaml:6: provider: the provider must be a country that publishes (${countries}), not "UNK"`])
})

t.test('which countries regional totals cover', async t => {
  const held = (provider: string, recipient: string): LoadedAgreement => ({ agreement: { provider, recipient } }) as unknown as LoadedAgreement
  t.same(totalsCountries({ node: 'EUROPOL', kind: 'liaison', agreements: [] }), WB, 'the region, every country of it listed')
  t.same(totalsCountries({ node: 'EUROPOL', kind: 'liaison', agreements: [held('SRB', 'EUROPOL'), held('DEU', 'EUROPOL'), held('AUT', 'EUROPOL'), held('ITA', 'SELEC')] }), [...WB, 'AUT', 'DEU'], 'and the countries that share with this node, not those sharing with others')
  t.same(totalsCountries({ node: 'AUT', kind: 'country', agreements: [held('AUT', 'EUROPOL')] }), [...WB, 'AUT'], 'a country outside the region: itself (its own tables, for its operators)')
  t.same(totalsCountries({ node: 'SRB', kind: 'country', agreements: [] }, [{ publisher: 'ITA' }, { publisher: 'HRV' }]), [...WB, 'ITA'], 'a country it holds releases from')
})

t.test('an Austrian node\'s releases count in Europol\'s totals beside the region', async t => {
  const clock = testClock()
  const file = join(tempDir(t), 'aut-europol.yaml')
  writeFileSync(file, AUT_EUROPOL)
  const aut = await startTestNode(t, 'AUT', clock, [file])
  const eu = await startTestNode(t, 'EUROPOL', clock, [file])
  await connect(eu, aut, clock)
  await connect(aut, eu, clock)
  // Records as a register holds them: the seeded generator's Serbian export, reported by Austria.
  const csv = join(tempDir(t), 'victims.csv')
  const out = createWriteStream(csv)
  await writeSyntheticCsv('victims', { country: 'SRB', years: [2023], victimsPerYear: 60, seed: 3 }, out)
  out.end()
  await finished(out)
  await aut.importVictims(csv)
  clock.advance(60_000)
  t.same((await aut.publish()).refused, [], 'every table protected')
  t.ok((await eu.sync('AUT')).ok, 'Europol pulled Austria')

  const r = await regionalTotals({ db: eu.running.node.db.db, node: 'EUROPOL', kind: 'liaison', agreements: nodeAgreements(eu.home), nowMs: clock.now() }, { indicator: 'V1', years: [2023], by: [] })
  t.same(r.contributions.map(c => `${c.country} ${c.status} ${c.reason ?? c.source}`), [
    'ALB missing no_agreement', 'AUT included release', 'BIH missing no_agreement', 'HRV missing no_agreement', 'MKD missing no_agreement', 'MNE missing no_agreement', 'SRB missing no_agreement', 'XKX missing no_agreement',
  ])
  const own = await aut.running.node.db.db.selectFrom('indicator_cell').select('value').where('indicator', '=', 'V1').where('year', '=', 2023).where('cell_key', '=', '_T|_T|_T|_T').executeTakeFirstOrThrow()
  t.same(r.cells.map(c => [c.key.TIME_PERIOD, c.value, c.parts.map(p => `${p.country} ${p.value}`)]), [['2023', Number(own.value), [`AUT ${Number(own.value)}`]]], 'the total is Austria\'s own, as published')
})
