/** Reading a JSON document from a file or an http(s) URL, with clear errors and a size limit. */
import { readFile, stat } from 'node:fs/promises'
import { AppError } from '../errors.js'

export const MAX_INPUT_BYTES = 64 * 1024 * 1024

async function readUrl (url: string, maxBytes: number): Promise<string> {
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error', headers: { accept: 'application/json, application/jose+json' } })
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? 'no answer within 10 s' : ((err as { cause?: Error }).cause?.message ?? (err as Error).message)
    throw new AppError('FETCH_FAILED', `${url}: ${reason}`)
  }
  if (!res.ok) throw new AppError('FETCH_FAILED', `${url}: HTTP ${res.status}`)
  const body = await res.arrayBuffer()
  if (body.byteLength > maxBytes) throw new AppError('FETCH_FAILED', `${url}: response larger than ${maxBytes} bytes`)
  return Buffer.from(body).toString('utf8')
}

/** Reads text from a file path or an http(s) URL. */
export async function readText (source: string, maxBytes = MAX_INPUT_BYTES): Promise<string> {
  if (/^https?:\/\//.test(source)) return readUrl(source, maxBytes)
  try {
    const info = await stat(source)
    if (!info.isFile()) throw new AppError('FILE_UNREADABLE', `${source}: not a file`)
    if (info.size > maxBytes) throw new AppError('FILE_UNREADABLE', `${source}: larger than ${maxBytes} bytes`)
    return await readFile(source, 'utf8')
  } catch (err) {
    if (err instanceof AppError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new AppError('FILE_UNREADABLE', `${source}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`)
  }
}

/** Reads and parses a JSON document; `what` names it in errors ("signed object", "JWKS"). */
export async function readJson (source: string, what: string): Promise<unknown> {
  const text = await readText(source)
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new AppError('FILE_UNREADABLE', `${source}: the ${what} is not JSON (${(err as Error).message})`)
  }
}
