// Writes the sample agreements in docs/agreements/: every country shares with Europol, and
// neighbours share with each other. The demo federation uses them. Run after changing the
// agreement format: node --import tsx scripts/sample-agreements.ts
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { COUNTRY_NAMES, type CountryCode } from '../src/protocol/codelists.js'

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'agreements')
mkdirSync(dir, { recursive: true })

const TZ: Record<CountryCode, string> = {
  ALB: 'Europe/Tirane', BIH: 'Europe/Sarajevo', HRV: 'Europe/Zagreb', XKX: 'Europe/Belgrade', MNE: 'Europe/Podgorica', MKD: 'Europe/Skopje', SRB: 'Europe/Belgrade',
}
const BILATERAL: Array<[CountryCode, CountryCode]> = [
  ['SRB', 'HRV'], ['SRB', 'BIH'], ['SRB', 'MNE'], ['SRB', 'MKD'], ['HRV', 'BIH'], ['BIH', 'MNE'], ['ALB', 'XKX'], ['ALB', 'MKD'], ['ALB', 'MNE'], ['XKX', 'MKD'],
]

function bilateral (provider: CountryCode, recipient: CountryCode): string {
  return `# Sample agreement: ${COUNTRY_NAMES[provider]} shares with ${COUNTRY_NAMES[recipient]}.
# Validate with: dcimx policy lint FILE; read it with: dcimx policy explain FILE
agreement: ${provider.toLowerCase()}-${recipient.toLowerCase()}
version: 1
title: Exchange of statistics on trafficking in human beings, ${COUNTRY_NAMES[provider]} to ${COUNTRY_NAMES[recipient]}
provider: ${provider}
recipient: ${recipient}
legal_basis:
  instrument: Memorandum of Understanding on the regional exchange of THB statistics (DCIM Phase II)
  article: Article 5
purposes: [statistics, policy]
validity:
  from: 2026-01-01
  until: 2028-12-31
  timezone: ${TZ[provider]}
threshold: 3
retention_years: 5
onward_sharing: false
grants:
  - indicator: V1
    by: [VICT_STATUS, SEX, AGE_GROUP]
    years: { from: 2015 }
  - indicator: V2
    by: [EXPLOIT, SEX]
    years: { from: 2015 }
  - indicator: V3
    by: [CITIZENSHIP]
    years: { from: 2015 }
  - indicator: C2
    by: [SEX, OFFENCE]
    years: { from: 2015 }
  - indicator: C3
    by: [SEX]
    years: { from: 2015 }
prohibitions:
  # Victims' citizenship groups are not broken down further for neighbours.
  - indicator: V1
    by: [CITIZEN_GRP]
`
}

function toEuropol (provider: CountryCode): string {
  return `# Sample agreement: ${COUNTRY_NAMES[provider]} shares with Europol (a liaison node that
# receives data and publishes none of its own).
agreement: ${provider.toLowerCase()}-europol
version: 1
title: Statistics on trafficking in human beings for Europol's strategic analysis
provider: ${provider}
recipient: EUROPOL
legal_basis:
  instrument: Working arrangement on strategic cooperation with Europol
  article: Article 3(1)
purposes: [operational_analysis, international_reporting]
validity:
  from: 2026-01-01
  until: 2027-12-31
  timezone: ${TZ[provider]}
threshold: 5
retention_years: 3
onward_sharing: false
grants:
  - indicator: V1
    by: [SEX, AGE_GROUP]
    years: { from: 2018 }
  - indicator: V2
    by: [EXPLOIT]
    years: { from: 2018 }
  - indicator: V3
    by: [CITIZENSHIP, COUNTRY_OF_EXPLOITATION]
    years: { from: 2018 }
  - indicator: C1
    by: [OFFENCE]
    years: { from: 2018 }
  - indicator: C3
    by: [OFFENCE]
    years: { from: 2018 }
`
}

let n = 0
for (const [a, b] of BILATERAL) {
  for (const [p, r] of [[a, b], [b, a]] as const) {
    writeFileSync(join(dir, `${p.toLowerCase()}-${r.toLowerCase()}.yaml`), bilateral(p, r))
    n++
  }
}
for (const p of Object.keys(COUNTRY_NAMES) as CountryCode[]) {
  writeFileSync(join(dir, `${p.toLowerCase()}-europol.yaml`), toEuropol(p))
  n++
}
console.log(`wrote ${n} sample agreements to ${dir}`)
