import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import type { DB } from '@sigdesk/db';

/** What a scan found, before any allow-list: the same for the same rules, bytes and external variables. */
export interface RawScan {
  rules: string[];
  offsets: Record<string, number[]>;
  millis: number;
  cpuMillis: number;
}

/** A file as scanned: its bytes, and the external variables of the scan (their SHA-256, empty for none). */
export interface ScannedFile {
  sha256: string;
  context: string;
}

export const fileKey = (file: ScannedFile) => `${file.sha256}:${file.context}`;

/** Rows written per statement. */
const BATCH = 500;

/** Verdicts of rulesets on files, kept for every process (scan_verdicts). */
@Injectable()
export class ScanVerdictsRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  /** What the ruleset found in those of the files it has scanned before, by `fileKey`. */
  async known(rulesHash: string, files: ReadonlyArray<ScannedFile>): Promise<Map<string, RawScan>> {
    const found = new Map<string, RawScan>();
    for (let start = 0; start < files.length; start += BATCH) {
      const batch = files.slice(start, start + BATCH);
      const wanted = new Set(batch.map(fileKey));
      const rows = await this.db
        .selectFrom('scan_verdicts')
        .selectAll()
        .where('rules_hash', '=', rulesHash)
        .where('sha256', 'in', [...new Set(batch.map((f) => f.sha256))])
        .execute();
      for (const row of rows) {
        const key = fileKey(row);
        if (!wanted.has(key)) continue;
        found.set(key, { rules: row.rules, offsets: row.offsets, millis: row.millis, cpuMillis: row.cpu_millis });
      }
    }
    return found;
  }

  async remember(rulesHash: string, all: ReadonlyArray<ScannedFile & { scan: RawScan }>): Promise<void> {
    const scans = [...new Map(all.map((s) => [fileKey(s), s])).values()];
    for (let start = 0; start < scans.length; start += BATCH) {
      await this.db
        .insertInto('scan_verdicts')
        .values(
          scans.slice(start, start + BATCH).map(({ sha256, context, scan }) => ({
            rules_hash: rulesHash,
            sha256,
            context,
            rules: JSON.stringify(scan.rules),
            offsets: JSON.stringify(scan.offsets),
            millis: scan.millis,
            cpu_millis: scan.cpuMillis,
          })),
        )
        .onConflict((oc) => oc.columns(['rules_hash', 'sha256', 'context']).doNothing())
        .execute();
    }
  }

  /**
   * The rules hashes that have verdicts, in order after `after`: one index probe each (a loose scan of the primary
   * key), not a read of every verdict.
   */
  async rulesHashes(after: string | undefined, limit: number): Promise<string[]> {
    const { rows } = await sql<{ rules_hash: string | null }>`
      WITH RECURSIVE hashes (rules_hash, n) AS (
        (SELECT rules_hash, 1 FROM scan_verdicts WHERE rules_hash > ${after ?? ''} ORDER BY rules_hash LIMIT 1)
        UNION ALL
        SELECT (SELECT v.rules_hash FROM scan_verdicts v WHERE v.rules_hash > h.rules_hash
                ORDER BY v.rules_hash LIMIT 1), h.n + 1
        FROM hashes h WHERE h.rules_hash IS NOT NULL AND h.n < ${limit}
      )
      SELECT rules_hash FROM hashes WHERE rules_hash IS NOT NULL`.execute(this.db);
    return rows.map((r) => r.rules_hash!);
  }

  /**
   * Deletes up to `limit` verdicts of the rules made before `before`, unless a compiled form of the rules is
   * recorded (compiled_rulesets: a process uses them, and would read them): how many.
   */
  async deleteUnrecorded(rulesHash: string, before: Date, limit: number): Promise<number> {
    const result = await sql`
      DELETE FROM scan_verdicts v
      USING (SELECT sha256, context FROM scan_verdicts
             WHERE rules_hash = ${rulesHash} AND created_at < ${before} LIMIT ${limit}) d
      WHERE v.rules_hash = ${rulesHash} AND v.sha256 = d.sha256 AND v.context = d.context
        AND NOT EXISTS (SELECT 1 FROM compiled_rulesets c WHERE c.rules_hash = ${rulesHash})`.execute(this.db);
    return Number(result.numAffectedRows ?? 0n);
  }
}
