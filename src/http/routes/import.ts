/**
 * POST /v1/import/{kind}: the operator uploads a national export (CSV) and the node runs the
 * import of `dcimx import` on it (the same domain functions, importFile, or withdrawRecords
 * with `withdraw=true`, and the same checks of the separator and id columns): a dry run by default,
 * which changes nothing and returns the report with every problem grouped and its lines; with
 * `apply=true` the import is applied in one transaction, or, when any row has a problem, nothing
 * changes (status `rejected`). The upload is written to a private temporary folder for the
 * import to stream and removed after it.
 *
 * The node otherwise takes only small JSON bodies (plugins/json-body.ts); this route alone takes
 * up to IMPORT_BODY_BYTES of `text/csv`, and its role is checked before the body is read, so no
 * one but an operator can make the node receive a large body.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../../errors.js'
import { ENCODINGS } from '../../ingest/csv-rows.js'
import { importFile, withdrawRecords, type ImportReport } from '../../ingest/import-file.js'
import { parseDelimiter, parseIdColumns } from '../../ingest/import-format.js'
import { nodeImportDeps } from '../../ingest/node-import.js'
import { ROUTE_ROLES } from '../../users/users.js'

/** Largest export the console may upload (bytes); larger files go through `dcimx import`. */
export const IMPORT_BODY_BYTES = 32 * 1024 * 1024

const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })

const Report = Type.Object({
  file: Type.String({ description: 'the file name given in `file`' }),
  kind: Type.Union([Type.Literal('victims'), Type.Literal('offenders')]),
  action: Type.Union([Type.Literal('import'), Type.Literal('withdraw')], { description: 'withdraw with `withdraw=true`' }),
  status: Type.Union([Type.Literal('dry-run'), Type.Literal('applied'), Type.Literal('unchanged'), Type.Literal('rejected')], {
    description: 'dry-run: valid, nothing changed; applied: the records changed; unchanged: nothing to change; rejected: problems, nothing changed',
  }),
  rows: Type.Integer(),
  inserted: Type.Integer({ description: 'records added (in a dry run: that would be)' }),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  withdrawn: Type.Integer({ description: 'records withdrawn (in a dry run: that would be); 0 for an import' }),
  rejected: Type.Integer({ description: 'rows with at least one problem (plus file-level problems)' }),
  problem_counts: Type.Record(Type.String(), Type.Integer(), { description: 'every problem, counted by code' }),
  problems: Type.Array(Type.Object({
    code: Type.String(),
    column: Type.Optional(Type.String()),
    value: Type.Optional(Type.String()),
    message: Type.String(),
    count: Type.Integer(),
    lines: Type.Array(Type.Integer(), { description: 'the lines of the file (the header is line 1), the first 10,000' }),
  }), { description: 'problems that share their code, column, value and reason, as `dcimx import` groups them' }),
  defaulted: Type.Record(Type.String(), Type.Object({ code: Type.String(), rows: Type.Integer() }), { description: 'empty fields that took their column\'s documented default' }),
  age_bands_straddling: Type.Integer(),
  delimiter: Type.String({ description: 'the separator the file was read with (a tab as such)' }),
  encoding: Type.Union(ENCODINGS.map(e => Type.Literal(e)), { description: 'the encoding the file was read with' }),
  import_id: Type.Union([Type.Integer(), Type.Null()], { description: 'the import run, when applied' }),
  tables: Type.Array(Type.Object({ indicator: Type.String(), year: Type.Integer(), cells: Type.Integer() }), { description: 'the tables recomputed when applied (empty in a dry run)' }),
})

function answer (r: ImportReport) {
  return {
    file: r.file,
    kind: r.kind,
    action: r.action,
    status: r.status,
    rows: r.rows,
    inserted: r.inserted,
    updated: r.updated,
    unchanged: r.unchanged,
    withdrawn: r.withdrawn,
    rejected: r.rejected,
    problem_counts: r.issueCounts,
    problems: r.issueGroups.map(g => ({ code: g.code, column: g.column, value: g.value, message: g.message, count: g.count, lines: g.lines })),
    defaulted: r.defaulted,
    age_bands_straddling: r.ageBandsStraddling,
    delimiter: r.delimiter,
    encoding: r.encoding,
    import_id: r.importId,
    tables: r.tables,
  }
}

export default async function importRoutes (app: FastifyInstance): Promise<void> {
  const { clock, config, db } = app.node
  const mib = IMPORT_BODY_BYTES / 1024 / 1024
  const tooLarge = (): AppError => new AppError('BODY_TOO_LARGE', `the file is larger than the ${mib} MiB the console may upload: import it with \`dcimx import\` on the node's host, or split it`)

  // Only this route's scope reads CSV bodies, whole, up to its own limit.
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: IMPORT_BODY_BYTES }, (_request, body, done) => { done(null, body) })

  const guard = app.requireRole(...ROUTE_ROLES['POST /v1/import/*'])
  app.post('/v1/import/:kind', {
    bodyLimit: IMPORT_BODY_BYTES,
    schema: {
      summary: 'Checks a national export (dry run) or imports it, or withdraws the records a file lists, as `dcimx import` does',
      description: `Roles: ${ROUTE_ROLES['POST /v1/import/*'].join(', ')}. Authorization: Bearer <token from POST /v1/login>. The body is the CSV file (\`Content-Type: text/csv\`; UTF-8 unless \`encoding\` says otherwise; the separator found from the header unless \`delimiter\` names it), at most ${mib} MiB: a larger body is refused with 413 BODY_TOO_LARGE before it is read (import larger files with \`dcimx import\`). Without \`apply=true\` nothing changes and the report says what the import would do and every problem, grouped, with its lines. With \`apply=true\` the file is imported in one transaction; when any row has a problem nothing changes and the status is \`rejected\`. With \`withdraw=true\` the file lists the records to withdraw (a \`record_id\` column, or the \`id_columns\`), as \`dcimx import --withdraw\`: every one must be held; the dry run says how many would be withdrawn, \`apply=true\` withdraws them all or none. An applied import is published with the node's next scheduled publish (or \`dcimx publish\`). A liaison node holds no national records: 400 USAGE.`,
      tags: ['operations'],
      consumes: ['text/csv'],
      params: Type.Object({ kind: Type.Union([Type.Literal('victims'), Type.Literal('offenders')]) }),
      querystring: Type.Object({
        apply: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'true: import the file; otherwise a dry run' })),
        file: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$', description: 'the file\'s name, for the report and the import run (default upload.csv)' })),
        withdraw: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'true: the file lists records to withdraw (`dcimx import --withdraw`)' })),
        delimiter: Type.Optional(Type.String({ description: 'the field separator, as `--delimiter`: one character other than `"` and `|`, or `tab` (default: found from the header: comma, semicolon or tab)' })),
        encoding: Type.Optional(Type.Union(ENCODINGS.map(e => Type.Literal(e)), { description: 'the text encoding, as `--encoding` (default utf8)' })),
        id_columns: Type.Optional(Type.String({ maxLength: 1000, description: 'the file has no record_id: derive it from these columns (comma-separated), as `--id-columns`' })),
      }, { additionalProperties: false }),
      response: { 200: Report, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 413: ErrorBody, 415: ErrorBody },
    },
    // The role is checked before the body is read; a declared length over the limit is refused at once.
    onRequest: async (request: FastifyRequest) => {
      await guard(request)
      const length = Number(request.headers['content-length'] ?? 0)
      if (length > IMPORT_BODY_BYTES) throw tooLarge()
    },
    errorHandler: (err, request, reply) => {
      // A body sent without a length and found too large as it arrives: the same clear answer.
      const e = (err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? tooLarge() : err
      throw e
    },
  }, async (request, reply) => {
    const { kind } = request.params as { kind: 'victims' | 'offenders' }
    const q = request.query as { apply?: 'true' | 'false', file?: string, withdraw?: 'true' | 'false', delimiter?: string, encoding?: typeof ENCODINGS[number], id_columns?: string }
    if (!Buffer.isBuffer(request.body)) throw new AppError('USAGE', 'send the export as the body, with Content-Type: text/csv')
    // The command line's checks and messages, naming the query parameter.
    const format = { delimiter: q.delimiter === undefined ? undefined : parseDelimiter(q.delimiter, 'delimiter'), encoding: q.encoding }
    const idColumns = parseIdColumns(q.id_columns, 'id_columns')
    const deps = await nodeImportDeps(db.db, clock, config)
    const dir = mkdtempSync(join(tmpdir(), 'dcimx-upload-'))
    try {
      const path = join(dir, q.file ?? 'upload.csv')
      writeFileSync(path, request.body, { mode: 0o600 })
      const options = { kind, path, dryRun: q.apply !== 'true', format, idColumns }
      const report = q.withdraw === 'true' ? await withdrawRecords(deps, options) : await importFile(deps, options)
      reply.header('cache-control', 'no-store')
      return answer(report)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
}
