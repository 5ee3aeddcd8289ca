// Types of bin/region-outlines.js for the TypeScript that imports it (its test).
export const OUTLINES_FILE: string
export function regionOutlinesSource (): string
