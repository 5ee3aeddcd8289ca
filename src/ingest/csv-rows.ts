/**
 * Streams the rows of an RFC 4180 CSV file with their line numbers (csv-parse does the
 * parsing). Malformed rows and invalid UTF-8 are reported as issues and reading goes on, so
 * one pass finds every problem. Files come as registers write them: a UTF-8 byte order mark,
 * CRLF or LF line ends, a comma, semicolon or tab separator (found from the header unless
 * given), and UTF-8, Latin-1 or Windows-1250 text (given; UTF-8 by default).
 */
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { Transform } from 'node:stream'
import { TextDecoder } from 'node:util'
import { parse, type CsvError } from 'csv-parse'
import type { ImportIssue } from './issues.js'

export type CsvItem =
  | { kind: 'row', line: number, fields: string[] }
  | { kind: 'issue', issue: ImportIssue }

/** Bytes read so far, for progress. */
export interface ReadProgress {
  bytes: number
}

/** Text encodings an export may be written in. */
export const ENCODINGS = ['utf8', 'latin1', 'windows-1250'] as const
export type Encoding = typeof ENCODINGS[number]

/** Field separators detected from the header (another single character may be given). */
export const DELIMITERS = [',', ';', '\t'] as const

export interface CsvFormat {
  /** The field separator; found from the header when not given. */
  delimiter?: string
  /** UTF-8 when not given. */
  encoding?: Encoding
}

/** How a delimiter is named to people: tab is written as such. */
export function delimiterName (d: string): string {
  return d === '\t' ? 'tab' : JSON.stringify(d)
}

/**
 * The separator of a file's header line: of comma, semicolon and tab, the one found most often
 * outside quotes in the first line (comma when none is).
 */
export function detectDelimiter (headerLine: string): string {
  const counts = new Map<string, number>(DELIMITERS.map(d => [d, 0]))
  let quoted = false
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1)
  }
  let best = ','
  for (const [d, n] of counts) if (n > counts.get(best)!) best = d
  return best
}

/** The first line of a file (at most its first 64 KiB), decoded. */
async function firstLine (path: string, encoding: Encoding): Promise<string> {
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.alloc(65536)
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
    const text = decoderFor(encoding).decode(buf.subarray(0, bytesRead))
    return text.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? ''
  } finally {
    await fh.close()
  }
}

function decoderFor (encoding: Encoding): TextDecoder {
  // WHATWG reads "latin1" as Windows-1252, its superset: the same letters, plus € and quotes in 0x80-0x9F.
  return new TextDecoder(encoding === 'utf8' ? 'utf-8' : encoding === 'latin1' ? 'windows-1252' : 'windows-1250')
}

/** Decodes a single-byte encoding to text as the bytes stream through. */
function decodingStream (encoding: Encoding): Transform {
  const decoder = decoderFor(encoding)
  return new Transform({
    readableObjectMode: false,
    transform (chunk: Buffer, _enc, done) { done(null, decoder.decode(chunk, { stream: true })) },
    flush (done) { done(null, decoder.decode()) },
  })
}

/** The separator a file is read with: the one given, or the one found in its header. */
export async function delimiterOf (path: string, format: CsvFormat = {}): Promise<string> {
  return format.delimiter ?? detectDelimiter(await firstLine(path, format.encoding ?? 'utf8'))
}

/**
 * Yields the rows of `path` (header included, as line 1). `label` names the file in issues.
 * In UTF-8, a field holding U+FFFD, which the decoder puts where the bytes were not UTF-8, is
 * a BAD_ENCODING issue for that line and column.
 */
export async function * readCsvRows (path: string, label: string, progress?: ReadProgress, format: CsvFormat = {}): AsyncGenerator<CsvItem> {
  const encoding = format.encoding ?? 'utf8'
  const delimiter = await delimiterOf(path, format)
  const input = createReadStream(path)
  if (progress !== undefined) input.on('data', chunk => { progress.bytes += chunk.length })
  const skipped: ImportIssue[] = []
  const parser = parse({
    bom: true,
    delimiter,
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
  })
  if (encoding === 'utf8') input.pipe(parser)
  else {
    const decode = decodingStream(encoding)
    decode.on('error', err => parser.destroy(err))
    input.pipe(decode).pipe(parser)
  }
  input.on('error', err => parser.destroy(err))
  for await (const rec of parser as AsyncIterable<{ record: string[], info: { lines: number } }>) {
    while (skipped.length > 0) yield { kind: 'issue', issue: skipped.shift()! }
    const { record, info } = rec
    // For a record spanning several lines, info.lines is its last line; report its first.
    const line = info.lines - countNewlines(record)
    if (line === 1 && record.length > 0) record[0] = record[0]!.replace(/^\uFEFF/, '')
    // csv-parse takes the line end of the first line for the whole file (a list of line ends
    // halves its speed): a row ending CRLF below a header ending LF keeps its CR, dropped here.
    const last = record.length - 1
    if (last >= 0 && record[last]!.endsWith('\r')) record[last] = record[last]!.slice(0, -1)
    const bad = encoding === 'utf8' ? record.findIndex(f => f.includes('\uFFFD')) : -1
    if (bad >= 0) {
      yield { kind: 'issue', issue: { file: label, line, column: String(bad + 1), code: 'BAD_ENCODING', message: 'the field is not valid UTF-8 (save the export as UTF-8, or give its encoding: --encoding latin1 or windows-1250)' } }
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
