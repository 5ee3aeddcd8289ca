/** Reading the node's own input files (agreements, crosswalks, exports) with one kind of error. */
import { readFileSync } from 'node:fs'
import { AppError } from './errors.js'

/** FILE_UNREADABLE for `file`, saying "no such file" when it does not exist. */
export function unreadable (file: string, err: unknown): AppError {
  return new AppError('FILE_UNREADABLE', `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
}

/** The UTF-8 text of `file`, or FILE_UNREADABLE. */
export function readTextFile (file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw unreadable(file, err)
  }
}
