// Every dcimx command line shown in a code block of README.md and docs/*.md parses as written
// against the CLI itself: the command exists, every option it uses exists, every mandatory
// option (--home included) and argument is given, nothing is left over. The commands' actions
// are replaced, so nothing runs. Found from outside (issue 12): the liaison guide's
// `dcimx user add NAME --role liaison` failed without --home. The commands are also run, one
// test file per document (test/docs/*-guide.test.ts, readme.test.ts); this file checks that the
// documents without a script list every command they show, with the reason.
import type { Command } from 'commander'
import t from 'tap'
import { program } from '../../src/cli/main.js'
import { DOC_FILES as FILES, docCommands, invocations } from './doc-commands.js'
import { listedAs } from './runner.js'
import { NOT_RUN_HERE, SCRIPTS } from './scripts.js'

/** The CLI with every action replaced, so parsing is all that happens. */
function parser (): Command {
  const cmd = program({ stdout: { write: () => true }, stderr: { write: () => true }, env: {}, clock: { now: () => 0 } }, () => {})
  const quiet = (c: Command): void => {
    c.action(async () => {})
    c.configureOutput({ writeOut: () => {}, writeErr: () => {} })
    c.commands.forEach(quiet)
  }
  cmd.commands.forEach(quiet)
  return cmd
}

let total = 0
for (const file of FILES) {
  const found = invocations(file)
  total += found.length
  if (found.length === 0) continue
  t.test(file, async t => {
    for (const [line, shown, args] of found) {
      const error = await parser().parseAsync(args, { from: 'user' }).then(() => null, (err: Error) => err.message)
      t.equal(error, null, `${file}:${line}: ${shown}`)
    }
  })
}

t.test('the docs show dcimx commands to check', async t => {
  t.ok(total >= 40, `${total} command lines`)
})

t.test('the check catches what the liaison guide once showed', async t => {
  const error = await parser().parseAsync(['user', 'add', 'NAME', '--role', 'liaison'], { from: 'user' }).then(() => null, (err: Error) => err.message)
  t.match(error, /required option '--home <dir>' not specified/)
  t.match(await parser().parseAsync(['totals', '--home', 'DIR', '--indicator', 'V1', '--years', '2024', '--bogus'], { from: 'user' }).then(() => null, (err: Error) => err.message), /unknown option '--bogus'/)
})

t.test('every command of a document without a script is listed with its reason, and every listed entry names a command', async t => {
  const used = new Set<number>()
  const missing: string[] = []
  for (const file of FILES) {
    const scripted = SCRIPTS.some(s => s.file === file)
    for (const c of docCommands(file)) {
      const i = listedAs(c)
      if (i >= 0) used.add(i)
      else if (!scripted) missing.push(`${file}:${c.line}: ${c.text}`)
    }
  }
  t.same(missing, [], 'documents without a script in test/docs/scripts.ts: every command listed in NOT_RUN_HERE')
  t.same(NOT_RUN_HERE.filter((_, i) => !used.has(i)).map(l => `${l.file}: ${String(l.text)}`), [], 'every entry of NOT_RUN_HERE names a documented command')
  t.same(SCRIPTS.map(s => s.file).filter(f => !FILES.includes(f)), [], 'every script is for a document')
})
