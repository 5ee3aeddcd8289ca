/**
 * The operator's import (POST /v1/import/{kind}): choose the kind and a file, read the dry
 * run's report (every problem grouped, with its lines), and apply the file once it is clean.
 * Applying sends the same file again: the node checks it again and imports all of it or nothing.
 * A withdrawal (`withdraw=true`) goes the same way; the separator, encoding and id columns are
 * sent as given and checked by the node, as `dcimx import` checks them.
 */
import { useState } from 'preact/hooks'
import { ApiError, post } from '../api.js'
import { texts } from '../texts.js'

const T = texts.import

/** Lines listed per problem; the count says how many rows have it. */
const SHOWN_LINES = 20
/** Problem groups listed; the counts by kind cover the rest. */
const SHOWN_PROBLEMS = 200

interface Problem { code: string, column?: string, value?: string, message: string, count: number, lines: number[] }
interface Report {
  file: string
  kind: string
  action: 'import' | 'withdraw'
  status: 'dry-run' | 'applied' | 'unchanged' | 'rejected'
  rows: number
  inserted: number
  updated: number
  unchanged: number
  withdrawn: number
  rejected: number
  problem_counts: Record<string, number>
  problems: Problem[]
  defaulted: Record<string, { code: string, rows: number }>
  import_id: number | null
  tables: Array<{ indicator: string, year: number, cells: number }>
}

type Action = 'import' | 'withdraw'
/** How the file is written, as the node's query parameters (empty: as the node finds it). */
interface Format { delimiter: string, encoding: string, idColumns: string }
/** The encodings `dcimx import --encoding` takes (ENCODINGS in src/ingest/csv-rows.ts; the console test checks they agree). */
const ENCODINGS = ['utf8', 'latin1', 'windows-1250'] as const

/** The file's name as the node takes it (a plain name), or none: the node then says upload.csv. */
function nameParam (file: File): string {
  return /^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$/.test(file.name) ? `&file=${encodeURIComponent(file.name)}` : ''
}

function formatParams (action: Action, f: Format): string {
  return (action === 'withdraw' ? '&withdraw=true' : '') +
    (f.delimiter === '' ? '' : `&delimiter=${encodeURIComponent(f.delimiter)}`) +
    (f.encoding === 'utf8' ? '' : `&encoding=${f.encoding}`) +
    (f.idColumns.trim() === '' ? '' : `&id_columns=${encodeURIComponent(f.idColumns.trim())}`)
}

function tableList (tables: Report['tables']): string {
  const by = new Map<string, number[]>()
  for (const t of tables) by.set(t.indicator, [...(by.get(t.indicator) ?? []), t.year])
  return [...by].map(([i, ys]) => `${i} ${ys.join(', ')}`).join('; ')
}

function Summary ({ report, applied }: { report: Report, applied: boolean }) {
  const problems = Object.values(report.problem_counts).reduce((a, b) => a + b, 0)
  if (report.action === 'withdraw') {
    switch (report.status) {
      case 'rejected': return <p class='error'>{applied ? T.withdrawRejectedOnApply(report.file) : T.rejected(report.file, problems, report.rejected, report.rows)}</p>
      case 'applied': return <p class='verified'>{T.withdrawApplied(report.file, report.import_id, report.withdrawn)}</p>
      case 'unchanged': return <p>{T.unchanged(report.file)}</p>
      case 'dry-run': return <p class='verified'>{T.withdrawValid(report.file, report.withdrawn)}</p>
    }
  }
  switch (report.status) {
    case 'rejected': return <p class='error'>{applied ? T.rejectedOnApply(report.file) : T.rejected(report.file, problems, report.rejected, report.rows)}</p>
    case 'applied': return <p class='verified'>{T.applied(report.file, report.import_id, report.inserted, report.updated, report.unchanged)}</p>
    case 'unchanged': return <p>{T.unchanged(report.file)}</p>
    case 'dry-run': return <p class='verified'>{report.inserted + report.updated === 0 ? T.nothingToDo(report.file, report.rows) : T.valid(report.file, report.rows, report.inserted, report.updated, report.unchanged)}</p>
  }
}

function Problems ({ report }: { report: Report }) {
  const total = Object.values(report.problem_counts).reduce((a, b) => a + b, 0)
  const listed = report.problems.slice(0, SHOWN_PROBLEMS)
  const grouped = listed.reduce((a, p) => a + p.count, 0)
  return (
    <>
      <h2>{T.problems}</h2>
      <div class='scroll' tabIndex={0} role='region' aria-label={T.problems}>
        <table id='import-problems'>
          <thead><tr><th scope='col'>{T.code}</th><th scope='col'>{T.column}</th><th scope='col'>{T.value}</th><th scope='col'>{T.message}</th><th scope='col'>{T.count}</th><th scope='col'>{T.lines}</th></tr></thead>
          <tbody>
            {listed.map(p => (
              <tr key={`${p.code}|${p.column ?? ''}|${p.value ?? ''}|${p.message}`}>
                <th scope='row'>{p.code}</th>
                <td>{p.column ?? ''}</td>
                <td>{p.value ?? ''}</td>
                <td>{p.message}</td>
                <td class='num'>{p.count}</td>
                <td>{p.lines.slice(0, SHOWN_LINES).join(', ') + (p.count > SHOWN_LINES ? T.moreLines(p.count - Math.min(SHOWN_LINES, p.lines.length)) : '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {grouped < total && <p class='note'>{T.moreProblems(total - grouped)}</p>}
    </>
  )
}

export function ImportScreen () {
  const [kind, setKind] = useState<'victims' | 'offenders'>('victims')
  const [action, setAction] = useState<Action>('import')
  const [format, setFormat] = useState<Format>({ delimiter: '', encoding: 'utf8', idColumns: '' })
  const [file, setFile] = useState<File | undefined>()
  const [report, setReport] = useState<Report | undefined>()
  const [applied, setApplied] = useState(false)
  const [busy, setBusy] = useState<string | undefined>()
  const [error, setError] = useState<string | undefined>()

  const send = async (apply: boolean): Promise<void> => {
    if (file === undefined) { setError(T.chooseFile); return }
    setBusy(apply ? (action === 'withdraw' ? T.withdrawing : T.applying) : T.checking)
    setError(undefined)
    try {
      const res = await post(`/v1/import/${kind}?apply=${String(apply)}${nameParam(file)}${formatParams(action, format)}`, file, 'text/csv')
      setReport(await res.json() as Report)
      setApplied(apply)
    } catch (err) {
      setReport(undefined)
      setError(err instanceof ApiError ? texts.error(err.message) : String(err))
    } finally {
      setBusy(undefined)
    }
  }
  // A new choice clears the report: applying always follows a check of this very file, kind,
  // action and format.
  const choose = (next: { kind?: 'victims' | 'offenders', file?: File, action?: Action, format?: Partial<Format> }): void => {
    if (next.kind !== undefined) setKind(next.kind)
    if ('file' in next) setFile(next.file)
    if (next.action !== undefined) setAction(next.action)
    if (next.format !== undefined) setFormat({ ...format, ...next.format })
    setReport(undefined)
    setError(undefined)
  }
  const canApply = report !== undefined && !applied && report.status === 'dry-run' && report.inserted + report.updated + report.withdrawn > 0

  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      <p class='note'>{T.intro}</p>
      <form class='query' onSubmit={e => { e.preventDefault(); send(false).catch(() => {}) }}>
        <fieldset class='field'>
          <legend>{T.kind}</legend>
          <label class='check'><input type='radio' name='kind' value='victims' checked={kind === 'victims'} onChange={() => { choose({ kind: 'victims' }) }} />{T.victims}</label>
          <label class='check'><input type='radio' name='kind' value='offenders' checked={kind === 'offenders'} onChange={() => { choose({ kind: 'offenders' }) }} />{T.offenders}</label>
        </fieldset>
        <fieldset class='field'>
          <legend>{T.action}</legend>
          <label class='check'><input type='radio' name='action' value='import' checked={action === 'import'} onChange={() => { choose({ action: 'import' }) }} />{T.actionImport}</label>
          <label class='check'><input type='radio' name='action' value='withdraw' checked={action === 'withdraw'} onChange={() => { choose({ action: 'withdraw' }) }} />{T.actionWithdraw}</label>
        </fieldset>
        {action === 'withdraw' && <p class='note' id='i-withdraw-note'>{T.withdrawNote}</p>}
        <div class='field'>
          <label for='i-file'>{T.file}</label>
          <input id='i-file' type='file' accept='.csv,.tsv,.txt,text/csv' required onChange={e => { choose({ file: e.currentTarget.files?.[0] }) }} />
        </div>
        <fieldset class='field'>
          <legend>{T.format}</legend>
          <div class='field'>
            <label for='i-delimiter'>{T.delimiter}</label>
            <select id='i-delimiter' value={format.delimiter} onChange={e => { choose({ format: { delimiter: e.currentTarget.value } }) }}>
              <option value=''>{T.delimiterFound}</option>
              <option value=','>{T.delimiterComma}</option>
              <option value=';'>{T.delimiterSemicolon}</option>
              <option value='tab'>{T.delimiterTab}</option>
            </select>
          </div>
          <div class='field'>
            <label for='i-encoding'>{T.encoding}</label>
            <select id='i-encoding' value={format.encoding} onChange={e => { choose({ format: { encoding: e.currentTarget.value } }) }}>
              {ENCODINGS.map(e => <option key={e} value={e}>{T.encodings[e]}</option>)}
            </select>
          </div>
          <div class='field'>
            <label for='i-idcolumns'>{T.idColumns}</label>
            <input id='i-idcolumns' type='text' value={format.idColumns} aria-describedby='i-idcolumns-hint' onInput={e => { choose({ format: { idColumns: e.currentTarget.value } }) }} />
            <span class='note' id='i-idcolumns-hint'>{T.idColumnsHint}</span>
          </div>
        </fieldset>
        <button type='submit' disabled={busy !== undefined}>{busy === T.checking ? T.checking : T.check}</button>
      </form>
      <div id='import-report' aria-live='polite'>
        {busy !== undefined && <p>{busy}</p>}
        {error !== undefined && <p class='error' role='alert'>{error}</p>}
        {report !== undefined && busy === undefined && (
          <>
            <Summary report={report} applied={applied} />
            {report.status === 'applied' && report.tables.length > 0 && <p id='import-tables'>{T.tables(tableList(report.tables))}</p>}
            {report.status !== 'rejected' && Object.keys(report.defaulted).length > 0 && (
              <p class='note'>{T.defaultedIntro + Object.entries(report.defaulted).map(([c, d]) => T.defaulted(c, d.rows, d.code)).join('; ')}</p>
            )}
            {report.problems.length > 0 && <Problems report={report} />}
            {canApply && <div class='actions'><button type='button' class='apply' onClick={() => { send(true).catch(() => {}) }}>{action === 'withdraw' ? T.applyWithdraw : T.apply}</button></div>}
          </>
        )}
      </div>
    </section>
  )
}
