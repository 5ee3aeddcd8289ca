// dcimx totals and dcimx verify-bundle, as a liaison node's operator runs them.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { cli, openForCommands } from '../helpers/cli.js'
import { serbiaToEuropol, testClock } from '../helpers/federation.js'
import { tempDir } from '../helpers/node.js'

t.test('totals in every format, a bundle that verifies, and one that does not', async t => {
  const clock = testClock()
  const { srb, eu } = await serbiaToEuropol(t, clock)
  await eu.running.close()
  const home = ['--home', eu.home]
  const dir = tempDir(t)

  const table = await cli(['totals', ...home, '--indicator', 'V1', '--years', '2023-2024', '--by', 'sex'], { clock })
  t.equal(table.status, 0, table.stderr)
  const lines = table.stdout.split('\n')
  t.equal(lines[0], 'V1 regional totals, 2023-2024, by SEX; as held at 2026-11-25T12:00:00.000Z by EUROPOL')
  t.match(lines[1], /^year +SEX +total +countries$/)
  // The first command opened the home itself, as an operator's shell does; the others run on the
  // home opened once (`attached`), as `dcimx serve` runs a command routed through its admin
  // channel: the same command code, without the embedded database's start-up each time.
  const node = await openForCommands(t, eu.home, {}, clock)
  t.match(table.stdout, /\n2023: included SRB \(issued 2026-11-25, valid until 2026-12-02, \d+ cell\(s\) suppressed\)\n/)
  t.match(table.stdout, /\nevery year: missing ALB \(no agreement shares it with this node\), BIH \(no agreement shares it with this node\), HRV/)

  const csv = await cli(['totals', ...home, '--indicator', 'V1', '--years', '2023', '--format', 'csv'], { clock, attached: node })
  t.equal(csv.stdout.split('\n')[0], 'TIME_PERIOD,OBS_VALUE,OBS_LOWER,OBS_UPPER,OBS_STATUS,CONF_STATUS,CONTRIBUTORS,SUPPRESSED_IN')
  const json = JSON.parse((await cli(['totals', ...home, '--indicator', 'V1', '--years', '2023', '--format', 'json'], { clock, attached: node })).stdout) as { query: unknown, cells: unknown[] }
  t.same(json.query, { indicator: 'V1', years: [2023], by: [], asOf: null })
  t.equal(json.cells.length, 1)
  const sdmx = JSON.parse((await cli(['totals', ...home, '--indicator', 'V1', '--years', '2023', '--format', 'sdmx-json'], { clock, attached: node })).stdout) as { meta: { sender: { id: string } } }
  t.equal(sdmx.meta.sender.id, 'EUROPOL')

  const bundle = join(dir, 'bundle.json')
  const withBundle = await cli(['totals', ...home, '--indicator', 'V1', '--years', '2023-2024', '--by', 'SEX', '--bundle', bundle], { clock, attached: node })
  t.match(withBundle.stdout, new RegExp(`\\nprovenance written to ${bundle}; check it with: dcimx verify-bundle ${bundle}\\n$`))
  // V1 of 2023 and 2024, each with the V2 and V3 releases of its year (linked: the same victims).
  const ok = await cli(['verify-bundle', bundle])
  t.equal(ok.status, 0, ok.stdout)
  t.match(ok.stdout, new RegExp(`^bundle verified: \\d+ total\\(s\\) recomputed from 6 signed release\\(s\\)\\n  SRB signed with key ${srb.kid} \\(from the bundle: compare with the thumbprint you pinned, or give --jwks\\)\\n$`))
  const jwks = join(dir, 'srb-jwks.json')
  writeFileSync(jwks, JSON.stringify({ keys: [srb.running.node.signingKey.publicJwk] }))
  t.match((await cli(['verify-bundle', bundle, '--jwks', jwks])).stdout, /SRB signed with key .* \(trusted: from --jwks\)/)

  const forged = JSON.parse(readFileSync(bundle, 'utf8')) as { result: { cells: Array<{ lower: number }> } }
  forged.result.cells[0]!.lower += 1
  const bad = join(dir, 'forged.json')
  writeFileSync(bad, JSON.stringify(forged))
  const refused = await cli(['verify-bundle', bad])
  t.equal(refused.status, 1)
  t.match(refused.stdout, /^bundle NOT verified: the result's cell \{"TIME_PERIOD":"2023","SEX":".*"\} differs from what its releases give\n$/)
  const verdict = JSON.parse((await cli(['verify-bundle', bad, '--json'])).stdout) as { ok: boolean }
  t.equal(verdict.ok, false)

  for (const [args, message] of [
    [['--years', '2024-2023'], '--years 2024-2023: the range runs backwards'],
    [['--years', '1900-2024'], '--years 1900-2024: a range spans at most 100 years'],
    [['--years', '20x4'], '--years "20x4": give a year (2023), a range (2015-2024) or a list (2019,2021)'],
    [['--years', '2023', '--format', 'xml'], '--format must be one of table, csv, json, sdmx-json'],
    [['--years', '2023', '--as-of', 'yesterday'], '--as-of "yesterday": give a date (2026-11-20) or a date-time (2026-11-20T12:00:00Z)'],
    [['--years', '2023', '--bundle', bundle], `${bundle} exists; the bundle is written to a new file`],
  ] as const) {
    const r = await cli(['totals', ...home, '--indicator', 'V1', ...args], { clock, attached: node })
    t.same([r.status, r.stderr], [2, `dcimx: ${message}\n`], message)
  }
  const unknown = await cli(['totals', ...home, '--indicator', 'V9', '--years', '2023'], { clock, attached: node })
  t.same([unknown.status, unknown.stderr], [2, 'dcimx: unknown indicator "V9": one of V1-V5, C1-C4\n'])
  const notJson = join(dir, 'not.json')
  writeFileSync(notJson, 'nope')
  t.same((await cli(['verify-bundle', notJson])).stderr, `dcimx: ${notJson}: not JSON\n`)
})
