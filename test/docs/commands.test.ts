// Every dcimx command line shown in a code block of README.md and docs/*.md parses as written
// against the CLI itself: the command exists, every option it uses exists, every mandatory
// option (--home included) and argument is given, nothing is left over. The commands' actions
// are replaced, so nothing runs. Found from outside (issue 12): the liaison guide's
// `dcimx user add NAME --role liaison` failed without --home.
import type { Command } from 'commander'
import t from 'tap'
import { program } from '../../src/cli/main.js'
import { DOC_FILES as FILES, invocations } from './doc-commands.js'

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
