/**
 * Disclosure control for published frequency tables (threshold rule, GaussSuppression-style
 * secondary suppression, LP audit). Pure functions: no database, no I/O besides loading the
 * HiGHS WebAssembly solver once.
 */
export { isPrimaryValue, primaryKeys, protect } from './protect.js'
export type { CellAudit, DerivedAudit, ProtectionResult, UnsafeCell } from './protect.js'
export { auditSuppression, isProtected } from './audit.js'
export type { AuditInterval } from './audit.js'
export { DEFAULT_THRESHOLD, prepareProblem } from './problem.js'
export type { InnerCell, PriorCell, ProtectionProblem, PublishedCell } from './problem.js'
export { crossTableProblem, twoWayTableProblem, TOTAL } from './tables.js'
