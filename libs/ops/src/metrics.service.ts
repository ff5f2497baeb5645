import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BuildsRepository } from '@sigdesk/builds';
import { JobQueueService, OutboxRepository } from '@sigdesk/queues';
import { ReviewRepository } from '@sigdesk/review';

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

  readonly rateLimitStoreFailures = new Counter({
    name: 'sigdesk_rate_limit_store_failures_total',
    help: 'Rate limit counts that failed (the store was down or slow): those requests were served unlimited',
    registers: [this.registry],
  });

  constructor(jobs: JobQueueService, outbox: OutboxRepository, review: ReviewRepository, builds: BuildsRepository) {
    collectDefaultMetrics({ register: this.registry, prefix: 'sigdesk_' });
    new Gauge({
      name: 'sigdesk_queue_jobs',
      help: 'Jobs in each queue by state (read from Redis at scrape time)',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        const queues = await jobs.jobCounts();
        this.reset();
        for (const { queue, counts } of queues) {
          for (const [state, count] of Object.entries(counts)) this.set({ queue, state }, count);
        }
      },
    });
    new Gauge({
      name: 'sigdesk_sla_events',
      help: 'Response-time warnings and breaches recorded on cases (read from PostgreSQL, so every process agrees)',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      async collect() {
        const counts = await review.slaEventCounts();
        this.set({ kind: 'warning' }, counts.warning);
        this.set({ kind: 'breach' }, counts.breach);
      },
    });
    new Gauge({
      name: 'sigdesk_fix_build_seconds',
      help: 'Time from the approval of a change to its stored build, over the last 7 days, by contract tier (from PostgreSQL)',
      labelNames: ['tier', 'statistic'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await builds.fixBuildTimes();
        this.reset();
        for (const row of rows) {
          this.set({ tier: row.tier, statistic: 'count' }, row.n);
          this.set({ tier: row.tier, statistic: 'p50' }, row.p50);
          this.set({ tier: row.tier, statistic: 'p90' }, row.p90);
          this.set({ tier: row.tier, statistic: 'max' }, row.max);
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
