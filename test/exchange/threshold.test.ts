// Exchange rule 5: a recipient refuses a release whose published cells break the threshold of
// the agreement it holds (found from outside: a count of 1 under threshold 3 was applied and
// shown as exact).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { checkCells } from '../../src/exchange/check-object.js'
import { grantThreshold } from '../../src/policy/grants.js'
import { lintAgreementText } from '../../src/policy/load.js'
import type { Release } from '../../src/protocol/messages.js'
import { FIXTURES } from '../helpers/federation.js'

const agreement = lintAgreementText(readFileSync(join(FIXTURES, 'agreements', 'srb-hrv.yaml'), 'utf8'), 'srb-hrv.yaml').agreement!
const held = { file: 'srb-hrv.yaml', hash: 'h', agreement }

function release (indicator: 'V1' | 'V2', values: Array<number | undefined>): Release {
  const dims = indicator === 'V1' ? ['SEX', 'AGE_GROUP', 'VICT_STATUS', 'CITIZEN_GRP'] : ['EXPLOIT', 'SEX', 'AGE_GROUP']
  const sexes = ['F', 'M', 'U', '_T']
  return {
    issued_at: Date.UTC(2026, 0, 5) / 1000,
    dataset: { indicator, years: [2023] },
    cells: values.map((value, i) => ({
      key: { TIME_PERIOD: '2023', ...Object.fromEntries(dims.map(d => [d, d === 'SEX' ? sexes[i]! : '_T'])) },
      ...(value === undefined ? { obs_status: 'Q', conf_status: 'C' } : { value, obs_status: 'A', conf_status: 'F' }),
    })),
  } as unknown as Release
}

t.test('a year is published only once it has ended', async t => {
  const early = { ...release('V1', [3]), dataset: { indicator: 'V1', years: [2026] }, cells: [] } as unknown as Release
  t.throws(() => { checkCells(early, held) }, { code: 'GRANT_EXCEEDED', message: 'V1 2026: a year is published only once it has ended, and this release was issued in 2026' })
  t.doesNotThrow(() => { checkCells({ ...early, dataset: { indicator: 'V1', years: [2025] } } as Release, held) })
})

t.test('the threshold of the grant: the agreement\'s, or the grant\'s own when higher', async t => {
  t.equal(grantThreshold(agreement, 'V1', 2023), 3)
  t.equal(grantThreshold(agreement, 'V2', 2023), 5)
})

t.test('a published small count is refused; zeros, counts from T and hidden cells pass', async t => {
  t.doesNotThrow(() => { checkCells(release('V1', [0, 3, undefined, 40]), held) })
  t.throws(() => { checkCells(release('V1', [0, 3, 1, 40]), held) }, { code: 'THRESHOLD_BROKEN', message: 'cells[2]: the value 1 is below the threshold 3 of agreement srb-hrv v1 for V1 2023' })
  t.throws(() => { checkCells(release('V2', [5, 4, undefined, 20]), held) }, { code: 'THRESHOLD_BROKEN', message: 'cells[1]: the value 4 is below the threshold 5 of agreement srb-hrv v1 for V2 2023' }, 'a grant\'s higher threshold')
  const both = release('V1', [1, 3, undefined, 40])
  both.cells[3]!.obs_status = 'Q'
  t.throws(() => { checkCells(both, held) }, { code: 'CELL_INVALID', message: 'cells[3]: status Q/F with a value' }, 'the cells\' form is checked first, over every cell')
})
