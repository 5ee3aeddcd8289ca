/**
 * Streams the rows of an RFC 4180 CSV file with their line numbers (csv-parse does the
 * parsing). Malformed rows and invalid UTF-8 are reported as issues and reading goes on, so
 * one pass finds every problem.
 */
import { createReadStream } from 'node:fs'
import { parse, type CsvError } from 'csv-parse'
import type { ImportIssue } from './issues.js'

export type CsvItem =
  | { kind: 'row', line: number, fields: string[] }
  | { kind: 'issue', issue: ImportIssue }

/** Bytes read so far, for progress. */
export interface ReadProgress {
  bytes: number
}

/**
 * Yields the rows of `path` (header included, as line 1). `label` names the file in issues.
 * A field holding U+FFFD, which the UTF-8 decoder puts where the bytes were not UTF-8, is a
 * BAD_ENCODING issue for that line and column.
 */
export async function * readCsvRows (path: string, label: string, progress?: ReadProgress): AsyncGenerator<CsvItem> {
  const input = createReadStream(path)
  if (progress !== undefined) input.on('data', chunk => { progress.bytes += chunk.length })
  const skipped: ImportIssue[] = []
  const parser = input.pipe(parse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined) => {
      if (err !== undefined) {
        const line = (err as CsvError & { lines?: number }).lines ?? 0
        skipped.push({ file: label, line, code: 'CSV_SYNTAX', message: `not valid CSV: ${err.message.replace(/^Invalid Record Length: |\s*\(.*$/g, '')}` })
      }
      return undefined
    },
  }))
  input.on('error', err => parser.destroy(err))
  for await (const rec of parser as AsyncIterable<{ record: string[], info: { lines: number } }>) {
    while (skipped.length > 0) yield { kind: 'issue', issue: skipped.shift()! }
    const { record, info } = rec
    // For a record spanning several lines, info.lines is its last line; report its first.
    const line = info.lines - countNewlines(record)
    const bad = record.findIndex(f => f.includes('\uFFFD'))
    if (bad >= 0) {
      yield { kind: 'issue', issue: { file: label, line, column: String(bad + 1), code: 'BAD_ENCODING', message: 'the field is not valid UTF-8 (save the export as UTF-8)' } }
      continue
    }
    yield { kind: 'row', line, fields: record }
  }
  while (skipped.length > 0) yield { kind: 'issue', issue: skipped.shift()! }
}

function countNewlines (fields: string[]): number {
  let n = 0
  for (const f of fields) {
    for (let i = f.indexOf('\n'); i >= 0; i = f.indexOf('\n', i + 1)) n++
  }
  return n
}
