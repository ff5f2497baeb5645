import { Kysely, sql } from 'kysely';

/**
 * Who holds an upload claim (`<host>-<pid>-<run>`, see the intake's process identity): the orphan sweeper ends at
 * once the claims of a process of its own machine that is gone (killed mid-upload), rather than after their
 * lifetime. Claims taken before this column existed have none and expire as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE sample_object_claims ADD COLUMN holder text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE sample_object_claims DROP COLUMN holder`.execute(db);
}
