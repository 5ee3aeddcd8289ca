/**
 * Benchmark for issue 2: the node's signMessage / verifySigned against raw node:crypto Ed25519
 * on the same payloads, side by side in one process.
 *
 *   node --import tsx test/bench/sign-verify.ts      (npm run bench:sign)
 *
 * Payloads are protocol `release` messages of about 200 B (no cells), 100 KiB and 1 MiB of
 * canonical JSON. Each measurement warms up, then runs the contenders in alternating slices
 * (A B B A ...) until each has run for the configured time; it reports ops/s (total ops over
 * total time, so GC pauses count) and the median per-op time over ~1 ms batches.
 *
 * Environment: BENCH_MS (time per contender, default 1500), BENCH_PART_MS (time per breakdown
 * step, default 600). Prints markdown tables on stdout, progress on stderr.
 */
import { sign as cryptoSign, verify as cryptoVerify } from 'node:crypto'
import os from 'node:os'
import canonicalize from 'canonicalize'
import { decodeBase64url, encodeBase64url } from '../../src/protocol/base64url.js'
import { canonicalBytes, canonicalJson, jsonDepth, parseCanonical } from '../../src/protocol/canonical-json.js'
import { contentId } from '../../src/protocol/ids.js'
import { signingInput, signMessage } from '../../src/protocol/jws.js'
import { generateSigningKey, jwksOf, keySetFromJwks } from '../../src/protocol/keys.js'
import type { Release } from '../../src/protocol/messages.js'
import { validateMessage } from '../../src/protocol/validate.js'
import { verifySigned } from '../../src/protocol/verify.js'

const MEASURE_MS = Number(process.env.BENCH_MS ?? 1500)
const PART_MS = Number(process.env.BENCH_PART_MS ?? 600)
const WARMUP_MS = 250
const SLICE_MS = 50
const BATCH_NS = 1_000_000
const GOAL = 1.5

// Results are folded into this so that no call can be optimised away.
let sink = 0

interface Stats {
  name: string
  ops: number
  ns: number
  /** Per-op time of each batch (ns). */
  samples: number[]
}

function opsPerSecond (s: Stats): number {
  return s.ops / (s.ns / 1e9)
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function medianUs (s: Stats): number {
  return median(s.samples) / 1000
}

function runBatch (fn: () => number, n: number): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) sink ^= fn()
  return Number(process.hrtime.bigint() - start)
}

/** Runs `fn` for about `ms` milliseconds; returns the number of ops that fit in one ~1 ms batch. */
function warmUp (fn: () => number, ms: number): number {
  const deadline = process.hrtime.bigint() + BigInt(ms) * 1_000_000n
  let ops = 0
  let ns = 0
  while (process.hrtime.bigint() < deadline) {
    ns += runBatch(fn, 1)
    ops++
  }
  return Math.max(1, Math.round(BATCH_NS / (ns / ops)))
}

/**
 * Measures the contenders side by side: warm-up, then slices of ~50 ms in A B B A order (so
 * neither side always runs first) until each has accumulated `ms` of measured time.
 */
function measure (contenders: Array<[string, () => number]>, ms: number): Stats[] {
  const batch = contenders.map(([, fn]) => warmUp(fn, WARMUP_MS))
  const stats: Stats[] = contenders.map(([name]) => ({ name, ops: 0, ns: 0, samples: [] }))
  const budget = ms * 1e6
  const slice = SLICE_MS * 1e6
  let round = 0
  while (stats.some(s => s.ns < budget)) {
    const order = contenders.map((_, i) => i)
    if (round++ % 2 === 1) order.reverse()
    for (const i of order) {
      const s = stats[i]!
      if (s.ns >= budget) continue
      const fn = contenders[i]![1]
      const n = batch[i]!
      let spent = 0
      while (spent < slice && s.ns < budget) {
        const t = runBatch(fn, n)
        spent += t
        s.ns += t
        s.ops += n
        s.samples.push(t / n)
      }
    }
  }
  return stats
}

// ---------------------------------------------------------------------------------------------
// Payloads

const ISSUED_AT = 1_700_000_000
const NOW = ISSUED_AT + 60
const CODES = {
  SEX: ['F', 'M', 'UNK'],
  VICT_STATUS: ['IDENT', 'PRES'],
  AGE_GROUP: ['Y_LT18', 'Y_GE18', 'UNK'],
  CITIZEN_GRP: ['NAT', 'WB_OTH', 'EU_FOR', 'NEU_FOR', 'STLS', 'UNK'],
}

function cell (i: number): Release['cells'][number] {
  const pick = (list: string[], n: number): string => list[n % list.length]!
  return {
    key: {
      TIME_PERIOD: '2023',
      SEX: pick(CODES.SEX, i),
      VICT_STATUS: pick(CODES.VICT_STATUS, Math.floor(i / 3)),
      AGE_GROUP: pick(CODES.AGE_GROUP, Math.floor(i / 6)),
      CITIZEN_GRP: pick(CODES.CITIZEN_GRP, Math.floor(i / 18)),
    },
    value: (i * 7919) % 5000,
    obs_status: 'A',
    conf_status: 'F',
  }
}

function release (cells: number): Release {
  return {
    protocol: 'dcim-exchange/1',
    type: 'release',
    issuer: 'SRB',
    issued_at: ISSUED_AT,
    expires_at: ISSUED_AT + 365 * 86400,
    audience: 'HRV',
    feed_seq: 1,
    prev: null,
    agreement: { id: 'srb-hrv', hash: 'q1Zr9mC4o8cH7xJYk2vT0bN5eWfLsD3aPuR6gXhIjKA' },
    dataset: { indicator: 'V1', years: [2023] },
    supersedes: null,
    cells: Array.from({ length: cells }, (_, i) => cell(i)),
  }
}

function payloadBytes (p: Release): number {
  return canonicalBytes(p).byteLength
}

/** The release whose canonical form is closest to `target` bytes (0 cells for tiny targets). */
function releaseOfSize (target: number): Release {
  const base = payloadBytes(release(0))
  if (target <= base) return release(0)
  const probe = 1000
  const perCell = (payloadBytes(release(probe)) - base) / probe
  let n = Math.max(1, Math.round((target - base) / perCell))
  let p = release(n)
  // Per-cell size varies a little with the values; walk to the closest count.
  while (payloadBytes(p) > target && n > 1) p = release(--n)
  while (payloadBytes(release(n + 1)) <= target) p = release(++n)
  return p
}

// ---------------------------------------------------------------------------------------------
// Formatting

function fmtInt (n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

function fmtUs (us: number): string {
  if (us >= 1000) return fmtInt(us)
  if (us >= 100) return us.toFixed(0)
  if (us >= 10) return us.toFixed(1)
  return us.toFixed(2)
}

function fmtRatio (r: number): string {
  return `${r.toFixed(2)}x`
}

function fmtBytes (n: number): string {
  return n.toLocaleString('en-US')
}

function table (head: string[], rows: string[][]): string {
  const align = head.map((_, i) => (i === 0 ? ':--' : '--:'))
  return [head, align, ...rows].map(r => `| ${r.join(' | ')} |`).join('\n')
}

// ---------------------------------------------------------------------------------------------
// Run

const SIZES: Array<[string, number]> = [['~200 B', 200], ['~100 KiB', 100 * 1024], ['~1 MiB', 1024 * 1024]]

const key = generateSigningKey('SRB')
const keySet = keySetFromJwks(jwksOf([key]))
const verificationKey = keySet.get(key.kid)!

interface SizeResult {
  label: string
  bytes: number
  cells: number
  sign: Stats[]
  verify: Stats[]
  signParts: Stats[]
  verifyParts: Stats[]
}

const results: SizeResult[] = []
const started = Date.now()

for (const [label, target] of SIZES) {
  const payload = releaseOfSize(target)
  const bytes = canonicalBytes(payload)
  const signed = signMessage('release', payload, key)
  const jws = signed.jws
  const input = signingInput(jws.protected, jws.payload)
  const rawSig = cryptoSign(null, bytes, key.privateKey)
  const jwsSig = decodeBase64url(jws.signature)!
  // Sanity: both paths accept what they produced.
  if (!cryptoVerify(null, bytes, verificationKey.publicKey, rawSig)) throw new Error('raw signature does not verify')
  if (verifySigned(jws, keySet, { now: NOW }).id !== signed.id) throw new Error('node signature does not verify')
  process.stderr.write(`${label}: ${fmtBytes(bytes.byteLength)} B, ${payload.cells.length} cells, signing input ${fmtBytes(input.byteLength)} B\n`)

  // The third contender signs the bytes the node actually signs: the JWS signing input
  // (base64url header '.' base64url payload, 4/3 of the payload plus ~215 bytes).
  const sign = measure([
    ['node signMessage', () => signMessage('release', payload, key).jws.signature.length],
    ['raw crypto.sign', () => cryptoSign(null, bytes, key.privateKey).byteLength],
    ['raw crypto.sign over signing input', () => cryptoSign(null, input, key.privateKey).byteLength],
  ], MEASURE_MS)
  const verify = measure([
    ['node verifySigned', () => verifySigned(jws, keySet, { now: NOW }).payloadBytes.byteLength],
    ['raw crypto.verify', () => (cryptoVerify(null, bytes, verificationKey.publicKey, rawSig) ? 1 : 0)],
    ['raw crypto.verify over signing input', () => (cryptoVerify(null, input, verificationKey.publicKey, jwsSig) ? 1 : 0)],
  ], MEASURE_MS)

  const payloadB64 = encodeBase64url(bytes)
  const signParts = measure([
    ['schema validation (validateMessage)', () => (validateMessage('release', payload) === payload ? 1 : 0)],
    ['canonicalization (canonicalBytes)', () => canonicalBytes(payload).byteLength],
    ['  of which canonicalize() library alone', () => (canonicalize(payload) ?? '').length],
    ['base64url of payload (encodeBase64url)', () => encodeBase64url(bytes).length],
    ['signing input + Ed25519 sign', () => cryptoSign(null, signingInput(jws.protected, payloadB64), key.privateKey).byteLength],
    ['content id (SHA-256)', () => contentId(bytes).length],
  ], PART_MS)
  const text = bytes.toString('utf8')
  const parsed: unknown = JSON.parse(text)
  const verifyParts = measure([
    ['base64url decode + canonical check (decodeBase64url)', () => decodeBase64url(jws.payload)!.byteLength],
    ['signing input + Ed25519 verify', () => (cryptoVerify(null, signingInput(jws.protected, jws.payload), verificationKey.publicKey, jwsSig) ? 1 : 0)],
    ['strict canonical parse (parseCanonical)', () => (parseCanonical(bytes) === null ? 0 : 1)],
    ['  of which nesting-depth scan (jsonDepth)', () => jsonDepth(text)],
    ['  of which JSON.parse', () => (JSON.parse(text) === null ? 0 : 1)],
    ['  of which re-serialisation for the canonical check (canonicalJson)', () => canonicalJson(parsed).length],
    ['schema validation (validateMessage)', () => (validateMessage('release', payload) === payload ? 1 : 0)],
    ['content id (SHA-256)', () => contentId(bytes).length],
  ], PART_MS)

  results.push({ label, bytes: bytes.byteLength, cells: payload.cells.length, sign, verify, signParts, verifyParts })
}

// ---------------------------------------------------------------------------------------------
// Report

const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
const out: string[] = []
out.push(`Machine: ${os.availableParallelism()} CPUs (${cpu}), Node ${process.version} (V8 ${process.versions.v8}, OpenSSL ${process.versions.openssl}), ${process.platform}-${process.arch}; ${MEASURE_MS} ms per contender, ${PART_MS} ms per breakdown step.`)
out.push('')
out.push('### Node vs raw node:crypto Ed25519')
out.push('')
out.push('"raw" signs/verifies the canonical payload bytes; "raw (input)" the JWS signing input the node actually signs')
out.push('(base64url header, \'.\', base64url payload). Ratios are node time / raw time, from ops/s (so GC pauses count).')
out.push(`Goal: node within ${GOAL}x of raw.`)
out.push('')
const rows: string[][] = []
for (const r of results) {
  for (const [op, trio] of [['sign', r.sign], ['verify', r.verify]] as const) {
    const [node, raw, rawInput] = trio as [Stats, Stats, Stats]
    const ratio = opsPerSecond(raw) / opsPerSecond(node)
    rows.push([
      `${r.label} (${fmtBytes(r.bytes)} B, ${fmtInt(r.cells)} cells)`, op,
      fmtInt(opsPerSecond(node)), fmtUs(medianUs(node)),
      fmtInt(opsPerSecond(raw)), fmtUs(medianUs(raw)),
      fmtInt(opsPerSecond(rawInput)), fmtUs(medianUs(rawInput)),
      `**${fmtRatio(ratio)}**`, fmtRatio(opsPerSecond(rawInput) / opsPerSecond(node)),
      ratio <= GOAL ? 'yes' : 'no',
    ])
  }
}
out.push(table([
  'payload', 'op', 'node ops/s', 'node median µs', 'raw ops/s', 'raw median µs', 'raw (input) ops/s', 'raw (input) median µs',
  'node / raw', 'node / raw (input)', `≤ ${GOAL}x`,
], rows))

function breakdown (title: string, total: (r: SizeResult) => Stats, parts: (r: SizeResult) => Stats[]): void {
  out.push('')
  out.push(`### ${title}`)
  out.push('')
  out.push('Each step measured on its own (median µs per op); % is of the node\'s median total. Indented rows are part of the row above.')
  out.push('')
  const names = parts(results[0]!).map(s => s.name)
  const head = ['step', ...results.map(r => `${r.label} µs`), ...results.map(r => `${r.label} %`)]
  const body = names.map((name, i) => [
    name.startsWith('  ') ? `&nbsp;&nbsp;${name.trim()}` : name,
    ...results.map(r => fmtUs(medianUs(parts(r)[i]!))),
    ...results.map(r => `${(100 * medianUs(parts(r)[i]!) / medianUs(total(r))).toFixed(0)}%`),
  ])
  body.push(['**total (node, median)**', ...results.map(r => `**${fmtUs(medianUs(total(r)))}**`), ...results.map(() => '100%')])
  out.push(table(head, body))
}

breakdown('Where signMessage spends its time', r => r.sign[0]!, r => r.signParts)
breakdown('Where verifySigned spends its time', r => r.verify[0]!, r => r.verifyParts)

out.push('')
out.push(`Total run time ${((Date.now() - started) / 1000).toFixed(1)} s.`)
process.stdout.write(out.join('\n') + '\n')
if (sink === 0.5) process.stdout.write('\n')
