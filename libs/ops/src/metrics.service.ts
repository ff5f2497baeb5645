import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import type { DB } from '@sigdesk/db';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { JobQueueService, OutboxRepository } from '@sigdesk/queues';

/** Prometheus metrics: one registry per process, scraped at /metrics. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Histogram({
    name: 'sigdesk_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly jobsProcessed = new Counter({
    name: 'sigdesk_jobs_processed_total',
    help: 'Jobs processed by this worker, by queue, job name and outcome',
    labelNames: ['queue', 'job', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(jobs: JobQueueService, outbox: OutboxRepository, @Inject(Kysely) db: Kysely<DB>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'sigdesk_' });
    new Gauge({
      name: 'sigdesk_queue_jobs',
      help: 'Jobs in each queue by state (read from Redis at scrape time)',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const queue of jobs.allQueues()) {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
          for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
        }
      },
    });
    new Gauge({
      name: 'sigdesk_sla_events',
      help: 'Response-time warnings and breaches recorded on cases (read from PostgreSQL, so every process agrees)',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await db
          .selectFrom('case_events')
          .select(['type', (eb) => eb.fn.countAll<string>().as('n')])
          .where('type', 'in', ['sla_warning', 'sla_breached'])
          .groupBy('type')
          .execute();
        const counts = Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
        this.set({ kind: 'warning' }, counts.sla_warning ?? 0);
        this.set({ kind: 'breach' }, counts.sla_breached ?? 0);
      },
    });
    new Gauge({
      name: 'sigdesk_fix_build_seconds',
      help: 'Time from the approval of a change to its stored build, over the last 7 days, by contract tier (from PostgreSQL)',
      labelNames: ['tier', 'statistic'] as const,
      registers: [this.registry],
      async collect() {
        const { rows } = await sql<{ tier: string; n: number; p50: number; p90: number; max: number }>`
          SELECT c.tier, count(*)::int AS n,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM b.finished_at - sc.approved_at)) AS p50,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM b.finished_at - sc.approved_at)) AS p90,
            max(extract(epoch FROM b.finished_at - sc.approved_at)) AS max
          FROM signature_changes sc
          JOIN cases c ON c.id = sc.case_id
          JOIN database_builds b ON b.version = sc.build_version AND b.channel = c.database_channel
          WHERE b.finished_at > now() - interval '7 days' AND b.status IN ('stored', 'published')
          GROUP BY c.tier`.execute(db);
        this.reset();
        for (const row of rows) {
          this.set({ tier: row.tier, statistic: 'count' }, row.n);
          this.set({ tier: row.tier, statistic: 'p50' }, Number(row.p50));
          this.set({ tier: row.tier, statistic: 'p90' }, Number(row.p90));
          this.set({ tier: row.tier, statistic: 'max' }, Number(row.max));
        }
      },
    });
    new Gauge({
      name: 'sigdesk_outbox_pending',
      help: 'Outbox rows committed but not yet relayed to a queue',
      registers: [this.registry],
      async collect() {
        this.set(await outbox.pendingCount());
      },
    });
  }
}
