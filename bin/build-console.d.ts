// Types of bin/build-console.js for the TypeScript that imports it (the browser tests).
export const CONSOLE_SRC: string
export const CONSOLE_OUT: string
export function consoleSourceHash (): string
export function buildConsole (): Promise<string[]>
export function precompress (dir: string): string[]
export function consoleFresh (): boolean
export function ensureConsole (): Promise<string>
