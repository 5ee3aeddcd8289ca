import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { diffAgreements, explainAgreement, localDate, sharingMatrix } from '../../src/policy/explain.js'
import { agreementHash, formatProblem, lintAgreementText, loadAgreement } from '../../src/policy/load.js'
import type { Agreement } from '../../src/policy/agreement.js'

const FILE = join(import.meta.dirname, '..', 'fixtures', 'agreements', 'srb-hrv.yaml')
const TEXT = readFileSync(FILE, 'utf8')

const lint = (text: string): string[] => lintAgreementText(text, 'a.yaml').problems.map(formatProblem)

t.test('a valid agreement loads with its defaults and a layout-independent hash', async t => {
  const { agreement, hash } = loadAgreement(FILE)
  t.equal(agreement.onward_sharing, false, 'onward sharing defaults to no')
  t.same(agreement.grants.map(g => g.indicator), ['V1', 'V2'])
  t.equal(hash, agreementHash(agreement))
  const relaid = TEXT.replace(/^#.*\n/m, '# another comment\n').replace('purposes: [statistics, policy]', 'purposes:\n  - statistics\n  - policy') + 'onward_sharing: false\n'
  t.equal(agreementHash(lintAgreementText(relaid, 'b.yaml').agreement!), hash, 'comments, layout and explicit defaults do not change the hash')
  t.not(agreementHash(lintAgreementText(TEXT.replace('threshold: 3', 'threshold: 4'), 'c.yaml').agreement!), hash)
})

t.test('every kind of problem is reported with file and line', async t => {
  t.same(lint(TEXT), [])
  t.same(lint(TEXT.replace('retention_years: 5', 'retention_years: 5\ncolour: red')), ['a.yaml:17: colour: unknown key "colour"'])
  t.same(lint(TEXT.replace('purposes: [statistics, policy]', 'purposes: [statistics, marketing]')), ['a.yaml:10: purposes[1]: "marketing" is not allowed; use one of statistics, policy, research, international_reporting, operational_analysis'])
  t.same(lint(TEXT.replace('indicator: V2', 'indicator: V7')), ['a.yaml:21: grants[1].indicator: "V7" is not allowed; use one of V1, V2, V3, V4, V5, C1, C2, C3, C4'])
  t.same(lint(TEXT.replace('by: [SEX, AGE_GROUP]', 'by: [SEX, AGE_BAND]')), ['a.yaml:19: grants[0].by[1]: V1 has no dimension "AGE_BAND" (it has VICT_STATUS, SEX, AGE_GROUP, CITIZEN_GRP)'])
  t.same(lint(TEXT.replace('by: [SEX, AGE_GROUP]', 'by: [SEX, CITIZEN_GRP]')), ['a.yaml:18: grants[0]: permits what prohibitions[0] forbids (V1 by CITIZEN_GRP): the agreement is invalid'])
  t.same(lint(TEXT.replace('until: 2028-12-31', 'until: 2025-12-31')), ['a.yaml:13: validity.until: the agreement ends (2025-12-31) before it starts (2026-01-01)'])
  t.same(lint(TEXT.replace('until: 2028-12-31', 'until: 2028-02-30')), ['a.yaml:13: validity.until: "2028-02-30" is not a calendar day; write YYYY-MM-DD, e.g. 2026-01-01'])
  t.same(lint(TEXT.replace('Europe/Belgrade', 'Mars/Olympus')), ['a.yaml:14: validity.timezone: "Mars/Olympus" is not an IANA time zone (e.g. Europe/Belgrade)'])
  t.same(lint(TEXT.replace('threshold: 5', 'threshold: 2')), ['a.yaml:24: grants[1].threshold: a grant may raise the threshold, not lower it below the agreement\'s 3'])
  t.same(lint(TEXT.replace('indicator: V2', 'indicator: V1')), ['a.yaml:21: grants[1].indicator: V1 is already granted by grants[0]; one grant per indicator', 'a.yaml:22: grants[1].by[0]: V1 has no dimension "EXPLOIT" (it has VICT_STATUS, SEX, AGE_GROUP, CITIZEN_GRP)'])
  t.same(lint(TEXT.replace('years: { from: 2018, to: 2025 }', 'years: { from: 2025, to: 2018 }')), ['a.yaml:23: grants[1].years: the years run backwards (2025 to 2018)'])
  t.same(lint(TEXT.replace('provider: SRB', 'provider: EUROPOL')), ['a.yaml:5: provider: the provider must be a country that publishes (an ISO 3166-1 alpha-3 code such as SRB or AUT; XKX for Kosovo), not "EUROPOL"'])
  t.same(lint(TEXT.replace('recipient: HRV', 'recipient: SRB')), ['a.yaml:6: recipient: the recipient must differ from the provider (both "SRB")'])
  t.same(lint(TEXT.replace('version: 1\n', '')), ['a.yaml:2: agreement: missing "version"'])
  t.same(lint(TEXT.replace('threshold: 3', 'threshold: three')), ['a.yaml:15: threshold: must be integer, not "three"'])
  t.same(lint(TEXT.replace('version: 1', 'version: 1\nversion: 2')), ['a.yaml:4: "version" is given twice in the same place'])
  t.same(lint(TEXT.replace('  - indicator: V1\n    by: [CITIZEN_GRP]', '  - indicator: V1\n    by: [CITIZEN_GRP]\n    when: always')), ['a.yaml:28: prohibitions[0].when: unknown key "when"'])
  t.same(lint('- just\n- a list\n'), ['a.yaml:1: agreement: must be object'])
})

t.test('a prohibition of a whole indicator or of some years conflicts with a grant', async t => {
  t.same(lint(TEXT.replace('    by: [CITIZEN_GRP]\n', '')), ['a.yaml:18: grants[0]: permits what prohibitions[0] forbids (V1): the agreement is invalid'])
  t.same(lint(TEXT.replace('    by: [CITIZEN_GRP]\n', '    years: [2010, 2011]\n')), [], 'years outside the grant do not conflict')
  t.same(lint(TEXT.replace('    by: [CITIZEN_GRP]\n', '    years: [2020]\n')), ['a.yaml:18: grants[0]: permits what prohibitions[0] forbids (V1 in those years): the agreement is invalid'])
})

const A = loadAgreement(FILE).agreement

t.test('explain: the agreement in plain English', async t => {
  t.same(explainAgreement(A), [
    'Serbia shares with Croatia (agreement "srb-hrv", version 1).',
    'Legal basis: Memorandum of Understanding on the exchange of statistics on trafficking in human beings, Article 4(2).',
    'Purposes: producing and publishing official statistics; policy analysis and planning. The data may be used for nothing else.',
    'In force from 1 January 2026 to 31 December 2028 inclusive (dates in Europe/Belgrade time). Outside these dates nothing is shared.',
    'Croatia may receive only these tables:',
    '  - registered victims (V1) for 2015 onwards, broken down by year, sex and age group (child or adult), or any coarser breakdown;',
    '  - victims by form of exploitation (V2) for 2018 to 2025, broken down by year, form of exploitation and sex, or any coarser breakdown; no count below 5 is sent for this table;',
    'Anything not listed above is never sent.',
    'Never sent, whatever else this agreement says:',
    '  - registered victims (V1) broken down by citizenship group;',
    'No count from 1 to 2 is ever sent: such cells are hidden, together with any other cells that would let someone work them out, also by combining what other partners received. Hidden cells are all marked as confidential in the same way, and zero stays distinct from hidden.',
    'Croatia may keep the data for 5 years and may not pass it on to anyone else.',
    'Only personal-data-free statistical tables are shared: no record about any person ever leaves the provider.',
  ])
  const liaison: Agreement = { ...A, recipient: 'EUROPOL', threshold: 2, retention_years: 1, onward_sharing: true, purposes: ['operational_analysis'], grants: [{ indicator: 'C2', by: [], years: [2023] }], prohibitions: [] }
  t.same(explainAgreement(liaison).filter(l => /Europol|Purpose|persons|count/.test(l)), [
    'Serbia shares with Europol (agreement "srb-hrv", version 1).',
    'Purpose: strategic and operational analysis by law-enforcement cooperation bodies. The data may be used for nothing else.',
    'Europol may receive only these tables:',
    '  - persons prosecuted (C2) for 2023, as yearly totals only;',
    'No count of 1 is ever sent: such cells are hidden, together with any other cells that would let someone work them out, also by combining what other partners received. Hidden cells are all marked as confidential in the same way, and zero stays distinct from hidden.',
    'Europol may keep the data for 1 year and may pass it on to others.',
  ])
})

t.test('diff: what changed, in the same language', async t => {
  const B: Agreement = {
    ...A,
    version: 2,
    threshold: 5,
    purposes: ['statistics', 'research'],
    validity: { ...A.validity, until: '2029-12-31' },
    grants: [{ ...A.grants[0]!, by: ['SEX'], years: { from: 2016 } }, { indicator: 'C3', by: ['SEX', 'OFFENCE'], years: [2023, 2024] }],
    prohibitions: [{ indicator: 'C3', by: ['CITIZEN_GRP'] }],
    onward_sharing: true,
  }
  t.same(diffAgreements(A, B), [
    'Version 1 becomes version 2.',
    'New purpose: scientific research.',
    'No longer a purpose: policy analysis and planning.',
    'It now ends on 31 December 2029 instead of 31 December 2028.',
    'Stricter protection: no count below 5 is sent (was 3).',
    'Registered victims (V1) may no longer be broken down by age group (child or adult).',
    'Registered victims (V1) now covers 2016 onwards (was 2015 onwards).',
    'Croatia will no longer receive victims by form of exploitation (V2); what it received under this agreement is withdrawn.',
    'Croatia will now also receive persons convicted (C3) for the years 2023 and 2024, broken down by year, sex and offence, or any coarser breakdown.',
    'Newly forbidden: persons convicted (C3) broken down by citizenship group.',
    'No longer forbidden: registered victims (V1) broken down by citizenship group.',
    'Croatia may now pass the data on to others.',
  ])
  t.same(diffAgreements(A, { ...A, version: 2 }), ['Version 1 becomes version 2.', 'The terms are the same.'])
  t.same(diffAgreements(A, { ...A, threshold: 2 }), ['Weaker protection: counts from 2 up are sent (the minimum was 3). Cells hidden before stay hidden.'])
})

t.test('matrix and validity windows read in the agreement\'s time zone', async t => {
  // 2025-12-31T23:30Z is already 1 January 2026 in Belgrade (UTC+1).
  const justIn = Date.UTC(2025, 11, 31, 23, 30)
  t.equal(localDate(justIn, 'Europe/Belgrade'), '2026-01-01')
  t.equal(localDate(justIn, 'UTC'), '2025-12-31')
  const matrix = (ms: number): Array<[string, string, boolean]> => sharingMatrix([A, { ...A, version: 2, grants: [A.grants[0]!] }, { ...A, agreement: 'srb-bih', recipient: 'BIH' }], tz => localDate(ms, tz)).map(r => [r.recipient, r.indicators.join(' '), r.inForce])
  t.same(matrix(justIn), [['BIH', 'V1 V2', true], ['HRV', 'V1', true]], 'latest version of each agreement; in force from local midnight')
  t.same(matrix(Date.UTC(2025, 11, 31, 22, 59)), [['BIH', 'V1 V2', false], ['HRV', 'V1', false]], 'not yet in force at 23:59 local time')
  t.same(matrix(Date.UTC(2028, 11, 31, 22, 59)), [['BIH', 'V1 V2', true], ['HRV', 'V1', true]], 'the last day is included')
  t.same(matrix(Date.UTC(2028, 11, 31, 23, 0)), [['BIH', 'V1 V2', false], ['HRV', 'V1', false]], 'expired from the next local midnight')
})

// Code groupings (src/policy/groups.ts): V2's form of exploitation in three groups.
const GROUPED = TEXT.replace('    by: [EXPLOIT, SEX]\n', [
  '    by: [EXPLOIT, SEX]',
  '    groups:',
  '      EXPLOIT:',
  '        SEXUAL: [SEX]',
  '        LABOUR: [LAB, DOM, BEG]',
  '        OTHER: rest',
  '',
].join('\n'))

t.test('groups of codes: every lint error class, with its line', async t => {
  t.same(lint(GROUPED), [], 'a partition with a rest group is valid')
  const g = (groups: string): string[] => lint(TEXT.replace('    by: [EXPLOIT, SEX]\n', `    by: [EXPLOIT, SEX]\n    groups:\n${groups}`))
  t.same(g('      EXPLOIT:\n        SEXUAL: [SEX]\n        LABOUR: [LAB, DOM, BEG, CRIM, MAR, ADOPT, SURR, ORG, MIX, OTH, UNK]\n'), [], 'a partition that lists every code is valid')
  t.same(g('      EXPLOIT:\n        SEXUAL: [SEX]\n        LABOUR: [LAB, DOM]\n'),
    ['a.yaml:24: grants[1].groups.EXPLOIT: the groups must cover every code of EXPLOIT; not covered: BEG, CRIM, MAR, ADOPT, SURR, ORG, MIX, OTH, UNK (or add a group that is rest)'])
  t.same(g('      EXPLOIT:\n        SEXUAL: [SEX, LAB]\n        LABOUR: [LAB]\n        OTHER: rest\n'),
    ['a.yaml:26: grants[1].groups.EXPLOIT.LABOUR[0]: LAB is already in group SEXUAL: a code belongs to one group'])
  t.same(g('      EXPLOIT:\n        SEXUAL: [SEX, PROSTITUTION]\n        OTHER: rest\n'),
    ['a.yaml:25: grants[1].groups.EXPLOIT.SEXUAL[1]: "PROSTITUTION" is not a code of EXPLOIT'])
  t.same(g('      EXPLOIT:\n        SEXUAL: [SEX, _T]\n        OTHER: rest\n'),
    ['a.yaml:25: grants[1].groups.EXPLOIT.SEXUAL[1]: "_T" is not a code of EXPLOIT'], 'the total is not a code to group')
  t.same(g('      EXPLOIT:\n        SEXUAL: [SEX]\n        OTHER: rest\n        MORE: rest\n'),
    ['a.yaml:27: grants[1].groups.EXPLOIT.MORE: only one group may be rest (OTHER and MORE both are)'])
  t.same(g('      EXPLOIT:\n        LAB: [LAB, DOM]\n        OTHER: rest\n'),
    ['a.yaml:25: grants[1].groups.EXPLOIT.LAB: LAB is a code of EXPLOIT: a group may carry a code\'s name only when it holds just that code'])
  t.same(g('      EXPLOIT:\n        SEX: [SEX]\n        OTHER: rest\n'), [], 'a group of one code may carry its name')
  t.same(g('      EXPLOIT:\n        SEXUAL: [SEX]\n        UNK: rest\n'),
    ['a.yaml:26: grants[1].groups.EXPLOIT.UNK: UNK is a code of EXPLOIT: the rest group needs a name of its own'])
  t.same(g('      AGE_GROUP:\n        CHILD: [Y_LT18]\n        OTHER: rest\n'),
    ['a.yaml:24: grants[1].groups.AGE_GROUP: AGE_GROUP is grouped but not in by: add it to by, or remove its groups'])
  t.same(g('      CITIZEN_GRP:\n        HOME: [NAT]\n        OTHER: rest\n'),
    ['a.yaml:24: grants[1].groups.CITIZEN_GRP: V2 has no dimension "CITIZEN_GRP" (it has EXPLOIT, SEX, AGE_GROUP)'])
  t.same(g('      EXPLOIT:\n        sexual: [SEX]\n        OTHER: rest\n'),
    ['a.yaml:25: grants[1].groups.EXPLOIT.sexual: unknown key "sexual"'], 'group names are upper case (the schema)')
  t.same(g('      EXPLOIT:\n        SEXUAL: []\n        OTHER: rest\n'),
    ['a.yaml:25: grants[1].groups.EXPLOIT.SEXUAL: must NOT have fewer than 1 items'])
  t.same(g('      EXPLOIT:\n        SEXUAL: everything\n'),
    ['a.yaml:25: grants[1].groups.EXPLOIT.SEXUAL: must be a list of codes, or rest'], 'members are a list or rest')

  t.same(g('      EXPLOIT:\n        ALL: rest\n'),
    ['a.yaml:25: grants[1].groups.EXPLOIT.ALL: ALL is rest and no other group names a code: it holds every code, the total; group fewer codes'])
  t.same(g('      EXPLOIT:\n        ALL: [SEX, LAB, DOM, BEG, CRIM, MAR, ADOPT, SURR, ORG, MIX, OTH, UNK]\n'),
    ['a.yaml:25: grants[1].groups.EXPLOIT.ALL: ALL holds every code of EXPLOIT: that is the total, which is always granted; group fewer codes'])
  t.same(g('      EXPLOIT:\n        SEXUAL: [SEX]\n        LABOUR: [LAB, DOM, BEG, CRIM, MAR, ADOPT, SURR, ORG, MIX, OTH, UNK]\n        OTHER: rest\n'),
    ['a.yaml:27: grants[1].groups.EXPLOIT.OTHER: OTHER is rest, but the other groups already hold every code: remove it'])

  // Areas: hundreds of codes, so a rest group is required.
  const v3 = (groups: string): string[] => lint(TEXT.replace('indicator: V2\n    by: [EXPLOIT, SEX]\n', `indicator: V3\n    by: [CITIZENSHIP]\n    groups:\n${groups}`))
  t.same(v3('      CITIZENSHIP:\n        WB: [ALB, BIH, HRV, XKX, MNE, MKD, SRB]\n        OTHER: rest\n'), [])
  t.same(v3('      CITIZENSHIP:\n        WB: [ALB, BIH, HRV, XKX, MNE, MKD, SRB]\n'),
    ['a.yaml:24: grants[1].groups.CITIZENSHIP: CITIZENSHIP has hundreds of codes: end its groups with one group that is rest (e.g. OTHER: rest)'])
  t.same(v3('      CITIZENSHIP:\n        WB: [ALB, ATLANTIS]\n        OTHER: rest\n'),
    ['a.yaml:25: grants[1].groups.CITIZENSHIP.WB[1]: "ATLANTIS" is not a code of AREA'])

  // V5 counts a person once per type of assistance: grouping types would count people twice.
  t.same(lint(TEXT.replace('indicator: V2\n    by: [EXPLOIT, SEX]\n', 'indicator: V5\n    by: [ASSIST]\n    groups:\n      ASSIST:\n        HOUSING: [SHELTER]\n        OTHER: rest\n')),
    ['a.yaml:24: grants[1].groups.ASSIST: a person may count under several codes of ASSIST, so a group would count them more than once: ASSIST cannot be grouped'])
})

t.test('groups: explained and compared in plain English', async t => {
  const grouped = lintAgreementText(GROUPED, 'g.yaml').agreement!
  t.equal(explainAgreement(grouped)[6],
    '  - victims by form of exploitation (V2) for 2018 to 2025, broken down by year, form of exploitation and sex (form of exploitation only in these groups: SEXUAL (sexual exploitation); LABOUR (forced labour or services, domestic servitude and forced begging); OTHER (every other form of exploitation)), or any coarser breakdown; no count below 5 is sent for this table;')
  t.same(diffAgreements(A, { ...grouped, version: 2 }), [
    'Version 1 becomes version 2.',
    'In victims by form of exploitation (V2), the form of exploitation is now shared only in groups, no longer in full detail: SEXUAL (sexual exploitation); LABOUR (forced labour or services, domestic servitude and forced begging); OTHER (every other form of exploitation).',
  ])
  t.same(diffAgreements(grouped, { ...A, version: 2 }), [
    'Version 1 becomes version 2.',
    'In victims by form of exploitation (V2), the form of exploitation is now shared in full detail (it was shared only in groups).',
  ])
  const regrouped: Agreement = { ...grouped, version: 2, grants: grouped.grants.map(g => g.groups === undefined ? g : { ...g, groups: { EXPLOIT: { SEXUAL: ['SEX'], OTHER: 'rest' } } }) }
  t.same(diffAgreements(grouped, regrouped), [
    'Version 1 becomes version 2.',
    'In victims by form of exploitation (V2), the form of exploitation is now shared in different groups: SEXUAL (sexual exploitation); OTHER (every other form of exploitation) (was SEXUAL (sexual exploitation); LABOUR (forced labour or services, domestic servitude and forced begging); OTHER (every other form of exploitation)).',
  ])
  const reordered: Agreement = { ...grouped, version: 2, grants: grouped.grants.map(g => g.groups === undefined ? g : { ...g, groups: { EXPLOIT: { OTHER: 'rest', LABOUR: ['BEG', 'DOM', 'LAB'], SEXUAL: ['SEX'] } } }) }
  t.same(diffAgreements(grouped, reordered), ['Version 1 becomes version 2.', 'The terms are the same.'], 'the same groups in another order are no change')
  const withAge: Agreement = { ...grouped, version: 2, grants: grouped.grants.map(g => g.indicator === 'V2' ? { ...g, by: [...g.by, 'AGE_GROUP'], groups: { ...g.groups, AGE_GROUP: { Y_LT18: ['Y_LT18'], OTHER: 'rest' } } } : g) }
  t.same(diffAgreements(grouped, withAge), [
    'Version 1 becomes version 2.',
    'Victims by form of exploitation (V2) may now also be broken down by age group (child or adult) (age group (child or adult) only in these groups: Y_LT18 (child (under 18)); OTHER (every other age group)).',
  ], 'a dimension added in groups says so')
  t.not(agreementHash(grouped), agreementHash(A), 'the groups are part of what both parties hash')
})
