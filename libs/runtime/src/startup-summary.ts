import type { QueueBackendKind } from '@sigdesk/queues';

/** Where everything of a started process is: printed once it is ready. */
export interface StartupSummary {
  url?: string;
  roles: { api: boolean; worker: boolean };
  dataDir: string;
  postgres: { embedded: boolean; url: string };
  queues: QueueBackendKind;
  /** Embedded: where its keys are, whether this process serves it, and what moved at this start. */
  s3: { embedded: boolean; endpoint: string; keysFrom?: string; serving?: boolean; notice?: string };
  /** API processes: the admin key made by this start (shown once), or whether one is configured. */
  adminKey?: { made?: string; configured: boolean };
}

/** host:port of a URL, never its credentials. */
export function urlAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '(default port)'}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
}

export function formatStartupSummary(summary: StartupSummary): string {
  const rows: Array<[string, string]> = [];
  if (summary.url) rows.push(['API', `${summary.url}  (OpenAPI: ${summary.url}/docs)`]);
  rows.push(['runs', [summary.roles.api && 'API', summary.roles.worker && 'worker'].filter(Boolean).join(' + ')]);
  rows.push(['data folder', summary.dataDir]);
  rows.push([
    'PostgreSQL',
    summary.postgres.embedded
      ? `embedded, ${urlAddress(summary.postgres.url)}, data in ${summary.dataDir}/postgres (log: postgres.log)`
      : `${urlAddress(summary.postgres.url)} (DATABASE_URL)`,
  ]);
  rows.push(['queues', summary.queues === 'redis' ? 'on Redis (REDIS_URL)' : 'on PostgreSQL (no REDIS_URL)']);
  rows.push([
    'S3',
    summary.s3.embedded
      ? `embedded, ${summary.s3.endpoint}${summary.s3.serving === false ? ' (served by another sigdesk process)' : ''}, ` +
        `data in ${summary.dataDir}/s3, keys in ${summary.s3.keysFrom}`
      : `${summary.s3.endpoint} (S3_ENDPOINT)`,
  ]);
  if (summary.s3.notice) rows.push(['', summary.s3.notice]);
  if (summary.adminKey?.made) {
    rows.push(['admin key', summary.adminKey.made]);
    rows.push(['', 'made now and shown only this once: keep it (only its hash is stored)']);
  } else if (summary.adminKey?.configured) {
    rows.push(['admin key', 'SIGDESK_BOOTSTRAP_ADMIN_KEY']);
  } else if (summary.adminKey) {
    rows.push(['admin key', 'made on the first start and shown then; set SIGDESK_BOOTSTRAP_ADMIN_KEY for another']);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  return ['sigdesk is ready', ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join('\n');
}
