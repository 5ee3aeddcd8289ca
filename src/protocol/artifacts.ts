/**
 * The machine-readable files of protocol/ (JSON Schemas, codelists, indicators), generated
 * from the TypeScript definitions so that the node and the published contract cannot drift.
 * `npm run protocol:build` writes them; a test checks that the committed files are current.
 */
import type { TSchema } from '@sinclair/typebox'
import { AREA_CODES } from './area.js'
import { AREA_EXTRA, CODELISTS, EU27, EXPLOIT_ROLLUP, TOTAL_CODE, WESTERN_BALKANS, COUNTRY_NAMES } from './codelists.js'
import { INDICATORS, TIME_DIMENSION } from './indicators.js'
import { AgreementSchema } from '../policy/agreement.js'
import { FlattenedJwsSchema, JwksSchema, MESSAGE_SCHEMAS, PROTOCOL, PublicJwkSchema } from './messages.js'

const DRAFT = 'http://json-schema.org/draft-07/schema#'

function schemaFile (name: string, schema: TSchema): string {
  // JSON.stringify drops TypeBox's symbol-keyed metadata, leaving plain JSON Schema.
  const plain = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>
  return JSON.stringify({ $schema: DRAFT, $id: `urn:dcim-exchange:1:schema:${name}`, ...plain }, null, 2) + '\n'
}

/** Relative path under protocol/ → file content. */
export function protocolArtifacts (): Record<string, string> {
  const files: Record<string, string> = {}
  for (const [type, schema] of Object.entries(MESSAGE_SCHEMAS)) files[`schemas/${type}.schema.json`] = schemaFile(type, schema)
  files['schemas/signed-object.schema.json'] = schemaFile('signed-object', FlattenedJwsSchema)
  files['schemas/jwks.schema.json'] = schemaFile('jwks', JwksSchema)
  files['schemas/public-jwk.schema.json'] = schemaFile('public-jwk', PublicJwkSchema)
  // For editors of agreement files (YAML language servers read JSON Schema).
  files['schemas/agreement.schema.json'] = schemaFile('agreement', AgreementSchema)
  files['codelists.json'] = JSON.stringify({
    protocol: PROTOCOL,
    total_code: TOTAL_CODE,
    codelists: CODELISTS,
    area: {
      description: AREA_EXTRA.description,
      codes: AREA_CODES,
      western_balkans: WESTERN_BALKANS.map(code => ({ code, label: COUNTRY_NAMES[code] })),
      eu27: EU27,
    },
    exploit_rollup: EXPLOIT_ROLLUP,
  }, null, 2) + '\n'
  files['indicators.json'] = JSON.stringify({
    protocol: PROTOCOL,
    counting_unit: 'persons, per calendar year, per reporting country',
    time_dimension: TIME_DIMENSION,
    total_code: TOTAL_CODE,
    indicators: INDICATORS,
  }, null, 2) + '\n'
  return files
}
