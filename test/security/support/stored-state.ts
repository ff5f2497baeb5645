import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '@sigdesk/db';
import { StorageKeys } from '@sigdesk/storage';
import type { TestEnvironment } from '@sigdesk/testing';

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Every table a request could write to; counted before and after an attack to show that nothing was stored. */
const TABLES = [
  'organizations',
  'contracts',
  'api_keys',
  'database_releases',
  'cases',
  'samples',
  'sample_object_claims',
  'sample_object_uploads',
  'case_samples',
  'case_events',
  'idempotency_keys',
  'outbox',
  'webhooks',
  'webhook_deliveries',
  'rule_revisions',
  'signature_contents',
  'regression_corpus_files',
  'signature_changes',
  'clean_corpus_files',
  'database_builds',
] as const satisfies ReadonlyArray<keyof DB>;

export type RowCounts = Record<(typeof TABLES)[number], number>;

export async function rowCounts(db: Kysely<DB>): Promise<RowCounts> {
  const counts = await Promise.all(
    TABLES.map(async (table) => {
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      return [table, Number(row.n)] as const;
    }),
  );
  return Object.fromEntries(counts) as RowCounts;
}

/**
 * A private temporary folder for the requests' spool of this test file: `os.tmpdir()` follows `TMPDIR`, read by
 * the spool when sigdesk starts, so the folders a request leaves behind can be told from other test runs'.
 */
export async function privateTmpdir(): Promise<{ dir: string; restore: () => Promise<void> }> {
  const previous = process.env.TMPDIR;
  const dir = await mkdtemp(join(tmpdir(), 'sigdesk-security-'));
  process.env.TMPDIR = dir;
  return {
    dir,
    restore: async () => {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function spoolFolders(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith('sigdesk-intake-'));
}

export async function sampleStored(env: TestEnvironment, content: Buffer): Promise<boolean> {
  return (await env.store.head(StorageKeys.sample(sha256(content)))) !== null;
}
