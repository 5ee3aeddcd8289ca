// Types of bin/stamp.js for the TypeScript that imports it (tests and benchmarks).
export interface InputFile { file: string, size: number, mtimeMs: number }
export const INPUT_DIRS: string[]
export const INPUT_FILES: string[]
export const STAMP: string
export const ROOT: string
export function inputs (root?: string): InputFile[]
export function contentHash (root: string, files: InputFile[]): string
export function snapshot (root?: string): { hash: string, files: InputFile[] }
export function writeStamp (root?: string, stamp?: { hash: string, files: InputFile[] }): { hash: string, files: InputFile[] }
/** 'fresh' when dist/ was compiled from the sources as they are now, otherwise why not. */
export function freshness (root?: string): string
