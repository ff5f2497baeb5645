/** A service sigdesk cannot answer without. */
export type Dependency = 'database' | 'storage' | 'queues';

/** Network failures: nothing answers where the service should be, or the connection to it broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The same, named in a message: Node says `connect ECONNREFUSED 10.0.0.5:9000`, `read ECONNRESET`. */
const NETWORK_MESSAGE = new RegExp(`\\b(${[...NETWORK_CODES].join('|')})\\b`);

/**
 * SQLSTATEs of a PostgreSQL that is away or full: connection exceptions (class 08), the server shutting down or
 * starting (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now), too many connections.
 */
const POSTGRES_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;

/** What pg and pg-pool say when a connection is lost, cannot be made in time, or was lost before the query. */
const POSTGRES_CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
];

/** S3 (and S3-compatible servers) asking to come back later, or a request that timed out on its way. */
const STORAGE_UNAVAILABLE_NAMES = new Set(['SlowDown', 'ServiceUnavailable', 'RequestTimeout', 'TimeoutError']);

/** ioredis: the connection is gone, or commands gave up waiting for it. Redis loading, failing over. */
const REDIS_CONNECTION_MESSAGES = [
  /^Connection is closed\.$/,
  /^Stream isn't writeable and enableOfflineQueue options is false$/,
  /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN) /,
];

interface ErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  severity?: unknown;
  errors?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function isNetworkFailure(error: ErrorShape): boolean {
  if (typeof error.code === 'string' && NETWORK_CODES.has(error.code)) return true;
  // a host with several addresses fails with an AggregateError of one failure per address
  return Array.isArray(error.errors) && error.errors.some((e) => isObject(e) && isNetworkFailure(e));
}

function isObject(value: unknown): value is ErrorShape {
  return typeof value === 'object' && value !== null;
}

function matches(patterns: RegExp[], message: unknown): boolean {
  return typeof message === 'string' && patterns.some((pattern) => pattern.test(message));
}

function classify(error: ErrorShape): Dependency | undefined {
  // every error of sigdesk's S3 client carries the SDK's $metadata (see createS3Client)
  if (isObject(error.$metadata)) {
    const status = error.$metadata.httpStatusCode;
    if (typeof status === 'number' && status >= 500) return 'storage';
    if (typeof error.name === 'string' && STORAGE_UNAVAILABLE_NAMES.has(error.name)) return 'storage';
    // the SDK wraps a failure it does not hold for an Error into one whose message is all that is left of it
    return isNetworkFailure(error) || matches([NETWORK_MESSAGE], error.message) ? 'storage' : undefined;
  }
  if (error.name === 'MaxRetriesPerRequestError' || matches(REDIS_CONNECTION_MESSAGES, error.message)) return 'queues';
  // a PostgreSQL error message (pg's DatabaseError) carries its severity beside the SQLSTATE
  if (typeof error.severity === 'string' && typeof error.code === 'string') {
    return POSTGRES_UNAVAILABLE.test(error.code) ? 'database' : undefined;
  }
  if (matches(POSTGRES_CONNECTION_MESSAGES, error.message)) return 'database';
  // the S3 client's and ioredis's network failures are recognised above: a bare one is pg's
  if (isNetworkFailure(error)) return 'database';
  return undefined;
}

/**
 * Which dependency an error says is unavailable (down, unreachable, restarting, overloaded), or undefined for any
 * other error, a bug among them. Looks through the causes an error was wrapped around.
 */
export function unavailableDependency(error: unknown): Dependency | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && isObject(current); depth++) {
    const found = classify(current);
    if (found) return found;
    current = current.cause;
  }
  return undefined;
}
