/**
 * Data-sharing agreements: the closed vocabulary of an agreement file, as a TypeBox schema
 * (published for editors as protocol/schemas/agreement.schema.json) and its TS type.
 *
 * ```yaml
 * agreement: srb-hrv
 * version: 2
 * provider: SRB
 * recipient: HRV
 * legal_basis: { instrument: "Memorandum of Understanding ...", article: "Article 4(2)" }
 * purposes: [statistics, policy]
 * validity: { from: 2026-01-01, until: 2028-12-31, timezone: Europe/Belgrade }
 * threshold: 3
 * retention_years: 5
 * onward_sharing: false
 * grants:
 *   - { indicator: V1, by: [SEX, AGE_GROUP], years: { from: 2015 } }
 *   - indicator: V2
 *     by: [EXPLOIT]
 *     years: { from: 2015 }
 *     groups:                      # EXPLOIT only in these groups (src/policy/groups.ts)
 *       EXPLOIT: { SEXUAL: [SEX], LABOUR: [LAB, DOM, BEG], OTHER: rest }
 * prohibitions:
 *   - { indicator: V1, by: [CITIZEN_GRP] }
 * ```
 */
import { Type, type Static } from '@sinclair/typebox'
import { INDICATOR_IDS } from '../protocol/indicators.js'

/** Purposes an agreement may name; anything else is refused at load. */
export const PURPOSES = {
  statistics: 'producing and publishing official statistics',
  policy: 'policy analysis and planning',
  research: 'scientific research',
  international_reporting: 'reporting to international bodies (UNODC, GRETA, Eurostat)',
  operational_analysis: 'strategic and operational analysis by law-enforcement cooperation bodies',
} as const
export type Purpose = keyof typeof PURPOSES

const Year = Type.Integer({ minimum: 1990, maximum: 2200 })
const Years = Type.Union([
  Type.Array(Year, { minItems: 1, uniqueItems: true, description: 'the years listed' }),
  Type.Object({ from: Year, to: Type.Optional(Year) }, { additionalProperties: false, description: 'from a year onwards, or a range' }),
])
const Indicator = Type.Union(INDICATOR_IDS.map(id => Type.Literal(id)))
const DimensionList = Type.Array(Type.String({ pattern: '^[A-Z_]+$' }), { uniqueItems: true })
const Day = Type.String({ format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a calendar day, YYYY-MM-DD' })

const GroupMembers = Type.Union([
  Type.Array(Type.String({ pattern: '^[A-Za-z0-9_]{1,32}$' }), { minItems: 1, uniqueItems: true, description: 'the codes of the dimension\'s codelist in this group' }),
  Type.Literal('rest', { description: 'every code no other group of this dimension names' }),
])
const DimensionGroups = Type.Record(Type.String({ pattern: '^[A-Z][A-Z0-9_]{0,31}$' }), GroupMembers, {
  minProperties: 1,
  additionalProperties: false,
  description: 'group name (the code the recipient receives) → codes',
})

export const GrantSchema = Type.Object({
  indicator: Indicator,
  by: DimensionList,
  years: Years,
  threshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'a higher threshold for this grant' })),
  groups: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Z_]+$' }), DimensionGroups, {
    minProperties: 1,
    additionalProperties: false,
    description: 'dimensions of `by` given only in groups of codes (coarser than the codelist); every code in exactly one group',
  })),
}, { additionalProperties: false })

export const ProhibitionSchema = Type.Object({
  indicator: Indicator,
  by: Type.Optional(DimensionList),
  years: Type.Optional(Years),
}, { additionalProperties: false, description: 'never send this indicator (or this breakdown of it, or these years)' })

export const AgreementSchema = Type.Object({
  agreement: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,99}$', description: 'agreement id, the same for every version' }),
  version: Type.Integer({ minimum: 1 }),
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  provider: Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,15}$' }),
  recipient: Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,15}$' }),
  legal_basis: Type.Object({
    instrument: Type.String({ minLength: 1, maxLength: 500 }),
    article: Type.String({ minLength: 1, maxLength: 200 }),
  }, { additionalProperties: false }),
  purposes: Type.Array(Type.Union(Object.keys(PURPOSES).map(p => Type.Literal(p))), { minItems: 1, uniqueItems: true }),
  validity: Type.Object({
    from: Day,
    until: Day,
    timezone: Type.String({ minLength: 1, description: 'IANA time zone in which from and until are read, e.g. Europe/Belgrade' }),
  }, { additionalProperties: false }),
  threshold: Type.Integer({ minimum: 1, maximum: 100, description: 'minimum cell count T; smaller non-zero counts are never sent' }),
  retention_years: Type.Integer({ minimum: 0, maximum: 100, description: 'how long the recipient may keep the data' }),
  onward_sharing: Type.Optional(Type.Boolean({ description: 'whether the recipient may pass the data on (default: no)' })),
  grants: Type.Array(GrantSchema, { minItems: 1 }),
  prohibitions: Type.Optional(Type.Array(ProhibitionSchema)),
}, { additionalProperties: false, title: 'dcim-exchange data-sharing agreement' })

/** An agreement as written (optional members may be absent). */
export type AgreementFile = Static<typeof AgreementSchema>
/** An agreement with its defaults filled in: what is hashed, compared and evaluated. */
export type Agreement = AgreementFile & { onward_sharing: boolean, prohibitions: Prohibition[] }
export type Grant = Static<typeof GrantSchema>
export type Prohibition = Static<typeof ProhibitionSchema>
export type YearSpec = Static<typeof Years>
