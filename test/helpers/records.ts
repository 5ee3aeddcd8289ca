// Victim records written straight into a test database, for tests of the tables cut from them
// (faster than importing a CSV, and every attribute under the test's control).
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/types.js'

/** A victim's attributes as stored (the derived groups included); unset ones take the defaults. */
export interface VictimAttrs {
  status: string
  sex: string
  age_group: string
  citizen_grp: string
  citizenship: string
  country_of_exploitation: string
  exploit_primary: string
  identified_by: string
  assistance: string[]
}

const DEFAULTS: VictimAttrs = {
  status: 'IDENT', sex: 'F', age_group: 'Y_GE18', citizen_grp: 'NAT', citizenship: 'SRB', country_of_exploitation: 'SRB', exploit_primary: 'SEX', identified_by: 'POL', assistance: ['SHELTER'],
}

/**
 * Replaces the victims registered in `year` by `persons`: each entry is `n` persons (default 1)
 * with the given attributes, the others as in DEFAULTS.
 */
export async function setVictims (db: Kysely<Database>, year: number, persons: Array<Partial<VictimAttrs> & { n?: number }>): Promise<void> {
  await db.deleteFrom('victim').where('year', '=', year).execute()
  const run = await db.selectFrom('import_run').select('id').orderBy('id').executeTakeFirst() ?? await db.insertInto('import_run').values({
    kind: 'victims', action: 'import', file_name: 'test', file_sha256: 'test', rows: 0, inserted: 0, updated: 0, unchanged: 0, withdrawn: 0, started_at: new Date(0), finished_at: new Date(0),
  }).returning('id').executeTakeFirstOrThrow()
  const rows = persons.flatMap((p, i) => Array.from({ length: p.n ?? 1 }, (_, k) => {
    const a = { ...DEFAULTS, ...p }
    return {
      record_key: `${year}-${i}-${k}`,
      row_digest: 'test',
      registered_on: `${year}-06-01`,
      year,
      status: a.status,
      sex: a.sex,
      age: null,
      age_group: a.age_group,
      citizenship: a.citizenship,
      citizen_grp: a.citizen_grp,
      country_of_exploitation: a.country_of_exploitation,
      exploit_primary: a.exploit_primary,
      exploitation: [a.exploit_primary],
      identified_by: a.identified_by,
      assistance: a.assistance,
      import_id: run.id,
    }
  }))
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('victim').values(rows.slice(i, i + 500)).execute()
}
