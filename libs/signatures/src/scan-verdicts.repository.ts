import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import type { DB } from '@sigdesk/db';

/** What a scan found, before any allow-list: the same for the same rules and the same bytes. */
export interface RawScan {
  rules: string[];
  offsets: Record<string, number[]>;
  millis: number;
  cpuMillis: number;
}

/** Rows written per statement. */
const BATCH = 500;

/** Verdicts of rulesets on files, kept for every process (scan_verdicts). */
@Injectable()
export class ScanVerdictsRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  /** What the ruleset found in those of the files it has scanned before, by SHA-256. */
  async known(rulesHash: string, sha256s: readonly string[]): Promise<Map<string, RawScan>> {
    const found = new Map<string, RawScan>();
    for (let start = 0; start < sha256s.length; start += BATCH) {
      const rows = await this.db
        .selectFrom('scan_verdicts')
        .selectAll()
        .where('rules_hash', '=', rulesHash)
        .where('sha256', 'in', sha256s.slice(start, start + BATCH))
        .execute();
      for (const row of rows) {
        found.set(row.sha256, {
          rules: row.rules,
          offsets: row.offsets,
          millis: row.millis,
          cpuMillis: row.cpu_millis,
        });
      }
    }
    return found;
  }

  async remember(rulesHash: string, all: ReadonlyArray<{ sha256: string; scan: RawScan }>): Promise<void> {
    const scans = [...new Map(all.map((s) => [s.sha256, s])).values()];
    for (let start = 0; start < scans.length; start += BATCH) {
      await this.db
        .insertInto('scan_verdicts')
        .values(
          scans.slice(start, start + BATCH).map(({ sha256, scan }) => ({
            rules_hash: rulesHash,
            sha256,
            rules: JSON.stringify(scan.rules),
            offsets: JSON.stringify(scan.offsets),
            millis: scan.millis,
            cpu_millis: scan.cpuMillis,
          })),
        )
        .onConflict((oc) => oc.columns(['rules_hash', 'sha256']).doNothing())
        .execute();
    }
  }
}
