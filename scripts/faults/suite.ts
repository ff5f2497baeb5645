/** What the parts of the fault suite share: the running set-up, the rows of the result and how a row is judged. */
import type { Pool } from 'pg';
import type { Customer, Load, RequestRecord } from './load';
import type { BuildChange } from './seed';
import type { Postgres, RedisServer, S3Server, SigdeskProcess } from './services';

export interface Suite {
  root: string;
  logDir: string;
  dataDir: string;
  /** TMPDIR of the API and of the worker: where uploads spool. */
  apiTmp: string;
  workerTmp: string;
  pg: Postgres;
  redis: RedisServer;
  redisPrefix: string;
  s3: S3Server;
  api: SigdeskProcess;
  worker: SigdeskProcess;
  apiUrl: string;
  /** The suite's own connections to sigdesk's database (application_name `fault-suite`). */
  db: Pool;
  adminKey: string;
  authorKey: string;
  reviewerKey: string;
  customers: Customer[];
  buildCustomer: Customer;
  buildChange: BuildChange;
  load: Load;
  /** When the suite itself had the API down: from the signal it sent to the restarted API being ready. */
  apiDown: Array<{ from: number; to: number; how: 'kill' | 'term' }>;
  /** The spool folders of the upload in flight when the API was killed. */
  spoolAtApiKill: string[];
}

export interface Row {
  index: number;
  name: string;
  from: number;
  to: number;
  problems: string[];
  notes: string[];
  /** Work that ends after the phase (a resumed build), awaited before the reconciliation. */
  pending?: Promise<void>;
}

export type Outcome = 'ok' | 'unavailable' | 'expected' | 'other';

const RESET = new Set(['ECONNRESET', 'EPIPE']);

/**
 * 2xx and 503 are what clients may see. A refused connection while the suite had the API down, a connection cut
 * while the suite had it down by kill -9 (a request in flight when it died), and one cut after a SIGTERM that came
 * before the request (a connection still in the listen queue as the server closed) are what any client of a stopped
 * process sees: counted under "other" but not held against the row. Everything else (a 500, a timeout, a request in
 * flight at a SIGTERM cut) fails the row.
 */
export function classify(suite: Suite, record: RequestRecord): Outcome {
  if (record.status >= 200 && record.status < 300) return 'ok';
  if (record.status === 503) return 'unavailable';
  if (record.status === 0 && record.error === 'ECONNREFUSED') {
    if (suite.apiDown.some((w) => record.endedAt >= w.from && record.endedAt <= w.to + 1_000)) return 'expected';
  }
  if (record.status === 0 && record.error && RESET.has(record.error)) {
    const cut = suite.apiDown.some((w) =>
      w.how === 'kill'
        ? record.endedAt >= w.from && record.endedAt <= w.to
        : record.startedAt >= w.from && record.endedAt <= w.to,
    );
    if (cut) return 'expected';
  }
  return 'other';
}

export interface PhaseStats {
  requests: number;
  ok: number;
  unavailable: number;
  other: number;
  expected: number;
  p99: number | null;
  perSecond: number;
  /** The unexpected outcomes, e.g. `500 internal_error ×3`. */
  failures: Map<string, number>;
}

export function phaseStats(suite: Suite, row: Row): PhaseStats {
  const records = suite.load.records.filter((r) => r.phase === row.index);
  const stats: PhaseStats = {
    requests: records.length,
    ok: 0,
    unavailable: 0,
    other: 0,
    expected: 0,
    p99: null,
    perSecond: 0,
    failures: new Map(),
  };
  const latencies: number[] = [];
  let accepted = 0;
  for (const record of records) {
    const outcome = classify(suite, record);
    if (outcome === 'ok') stats.ok++;
    else if (outcome === 'unavailable') stats.unavailable++;
    else stats.other++;
    if (outcome === 'expected') stats.expected++;
    if (outcome === 'other') {
      const what =
        record.status === 0
          ? `${record.kind} ${record.error ?? 'no answer'}`
          : `${record.kind} ${record.status} ${record.detail ?? ''}`.trim();
      stats.failures.set(what, (stats.failures.get(what) ?? 0) + 1);
    }
    if (record.status !== 0) latencies.push(record.endedAt - record.startedAt);
    if ((record.kind === 'submit' || record.kind === 'upload') && record.status === 201) accepted++;
  }
  latencies.sort((a, b) => a - b);
  if (latencies.length) stats.p99 = latencies[Math.max(0, Math.ceil(latencies.length * 0.99) - 1)];
  const seconds = (row.to - row.from) / 1000;
  stats.perSecond = seconds > 0 ? accepted / seconds : 0;
  return stats;
}

export function rowPassed(suite: Suite, row: Row): boolean {
  return row.problems.length === 0 && (row.index < 0 || phaseStats(suite, row).failures.size === 0);
}

/** fault | requests | 201/200 | 503 | other | p99 ms | subs/s | outcome, then each row's reasons and notes. */
export function printTable(suite: Suite, rows: Row[]): void {
  const header = ['fault', 'requests', '201/200', '503', 'other', 'p99 ms', 'subs/s', 'outcome'];
  const lines: string[][] = [];
  const reasons: string[] = [];
  for (const row of rows) {
    const passed = rowPassed(suite, row);
    const label = row.index > 0 ? `${row.index}. ${row.name}` : row.name;
    if (row.index < 0) {
      lines.push([label, '-', '-', '-', '-', '-', '-', passed ? 'PASS' : 'FAIL']);
    } else {
      const stats = phaseStats(suite, row);
      lines.push([
        label,
        String(stats.requests),
        String(stats.ok),
        String(stats.unavailable),
        String(stats.other),
        stats.p99 === null ? '-' : stats.p99.toFixed(0),
        stats.perSecond.toFixed(1),
        passed ? 'PASS' : 'FAIL',
      ]);
      const failures = [...stats.failures].map(([what, count]) => `${what} ×${count}`);
      if (failures.length) row.problems.unshift(`clients saw: ${failures.join('; ')}`);
      if (stats.expected) {
        row.notes.unshift(
          `${stats.expected} of "other" were refused or cut connections while the suite had the API down`,
        );
      }
    }
    const text = [...row.problems.map((p) => `FAIL: ${p}`), ...row.notes.map((n) => `note: ${n}`)];
    if (text.length) reasons.push(`${label}\n${text.map((t) => `    ${t}`).join('\n')}`);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const numeric = new Set([1, 2, 3, 4, 5, 6]);
  const format = (cells: string[]) =>
    cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const line of lines) console.log(format(line));
  if (reasons.length) console.log(`\n${reasons.join('\n')}`);
}
