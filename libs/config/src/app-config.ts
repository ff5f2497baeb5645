import { availableParallelism, tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { parseResponseTargets, ResponseTargets } from '@sigdesk/calendar';
import { Environment, parseEnvironment } from './config.schema';
import { Limits, limitsFromEnvironment } from './limits';

/** The one typed configuration object, built once from the environment. */
export class AppConfig {
  readonly env: Environment['NODE_ENV'];
  readonly http: {
    port: number;
    host: string;
    /** Time for a request's line and headers to arrive. */
    headersTimeoutMs: number;
    /** Time for a whole request other than an upload (headers and body) to arrive; uploads have `uploadMinRate`. */
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    /** A connection with no byte in either direction for this long is closed. */
    idleTimeoutMs: number;
    /** An upload (multipart body) arriving slower than this, averaged over each window, is cut; 0 turns it off. */
    uploadMinRate: { bytesPerSecond: number; windowMs: number };
    /**
     * The proxies (addresses, CIDR ranges) whose `X-Forwarded-For` names the client, as the address that rate
     * limits and failed sign-ins are counted against; none by default (the connection's address).
     */
    trustProxy?: string[];
  };
  /** Requests per window and bucket; a limit of 0 is off. */
  readonly rateLimits: { windowSeconds: number; perKey: number; perAddress: number; failedAuthPerAddress: number };
  readonly logLevel: Environment['LOG_LEVEL'];
  readonly dataDir: string;
  /** The built web app (`npm run build`) that the API serves at `/`; served as "not built" when it is missing. */
  readonly web: { dir: string };
  /** Without a URL, sigdesk runs an embedded PostgreSQL server under the data directory. */
  readonly database: { url?: string; migrateOnStart: boolean };
  /** Without a URL, the queues run on PostgreSQL. */
  readonly redis: { url?: string; prefix: string };
  /**
   * Without an endpoint, sigdesk runs an embedded S3 server under the data directory, with these keys when given (else
   * keys it makes at the first start and keeps there). With an endpoint, the keys are required.
   */
  readonly s3: {
    endpoint?: string;
    region: string;
    bucket: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  };
  /** Local copies of S3 objects that scans read, under the data directory. */
  readonly objectCache: { maxBytes: number };
  readonly bootstrapAdminKey?: string;
  /** The upper bound of everything a client controls (sizes, counts, lengths), each overridable. */
  readonly limits: Limits;
  readonly intake: {
    /** where requests spool their files while they are read (a private folder each, under it) */
    spoolDir: string;
    orphanGraceMs: number;
    idempotencyTtlMs: number;
  };
  readonly releases: { graceMs: number; defaultChannel: string };
  /** How long stored things nobody may need any more are kept before the maintenance sweeps remove them. */
  readonly retention: {
    /** a rule pack import not accepted (analysed or failed) this long after its analysis ended goes, with its files */
    rulePackImportsMs: number;
    /**
     * a compiled ruleset no process has used this long goes (its record and object), unless it is the published or
     * newest content of a channel; the verdicts of rulesets that are no longer recorded go once this old
     */
    compiledRulesetsIdleMs: number;
  };
  readonly docs: boolean;
  readonly review: { claimTimeoutMs: number; slaWarningFraction: number };
  readonly builds: {
    signingKeyPem?: string;
    expeditedWindowMs: number;
    scheduledEveryMs: number;
    /** how long a build's lease lasts without a heartbeat before another worker may take the build over */
    leaseMs: number;
    /** attempts at one build (crashes, storage errors) before it ends `failed` and the channel builds again */
    maxAttempts: number;
    /** one file's scan by one ruleset; past it the engine process is killed (validation, build and triage alike) */
    scanTimeoutMs: number;
    /**
     * engine processes kept started for the rule checks (each compiles one check's rule, then goes and is replaced);
     * 0: each check starts its own
     */
    ruleCheckEngines: number;
    /**
     * scans one compiled ruleset runs at once (validation, build and triage alike), on threads of its engine process
     * over one compiled copy of the rules: the machine's cores unless configured
     */
    scanThreads: number;
    /**
     * proofs scan the corpora with the changed rules alone and add their verdicts to the parent's. Off by default:
     * YARA-X 1.20 (the binding's) lets one rule's failed condition hide a pattern another rule shares (yara-x#762,
     * #771), so verdicts of rules scanned apart do not add up to those of the rules built together
     */
    deltaProofs: boolean;
  };
  /** Working hours to the qualified response, by tier and severity. */
  readonly responseTargets: ResponseTargets;
  readonly webhooks: {
    /** Development only: receivers on loopback (127.0.0.0/8, ::1, localhost) may be registered and sent to. */
    allowLoopback: boolean;
    /** On-premise installs: receivers on private networks (RFC 1918, 100.64/10, fc00::/7) are allowed. */
    allowPrivate: boolean;
    /** The DNS servers that resolve receivers' names; the system's (resolv.conf) when not set. */
    dnsServers?: string[];
    /** To a connected socket (TLS included), and to the whole attempt (name resolution to response headers). */
    connectTimeoutMs: number;
    timeoutMs: number;
    /** Deliveries one worker process sends at once, and those one organisation may have in flight in all. */
    concurrency: number;
    organizationConcurrency: number;
  };

  /** People's accounts: links in emails, mail, sessions' lifetimes, invitations, the second factor. */
  readonly people: {
    /** where people reach sigdesk: the links of invitations and password resets start with it */
    publicUrl: string;
    /** without it, mail is not sent: the links are logged (outside production) */
    smtpUrl?: string;
    mailFrom: string;
    sessionIdleMs: number;
    sessionAbsoluteMs: number;
    invitationTtlMs: number;
    passwordResetTtlMs: number;
    /** analysts, release and admins must sign in with a second factor (until they have one, only to enrol it) */
    requireTotpForStaff: boolean;
  };

  constructor(environment: Environment) {
    this.env = environment.NODE_ENV;
    this.http = {
      port: environment.PORT,
      host: environment.HOST,
      headersTimeoutMs: Math.round(environment.SIGDESK_HTTP_HEADERS_TIMEOUT_SECONDS * 1000),
      requestTimeoutMs: Math.round(environment.SIGDESK_HTTP_REQUEST_TIMEOUT_SECONDS * 1000),
      keepAliveTimeoutMs: Math.round(environment.SIGDESK_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000),
      idleTimeoutMs: Math.round(environment.SIGDESK_HTTP_IDLE_TIMEOUT_SECONDS * 1000),
      uploadMinRate: {
        bytesPerSecond: environment.SIGDESK_UPLOAD_MIN_RATE_KIB * 1024,
        windowMs: Math.round(environment.SIGDESK_UPLOAD_MIN_RATE_WINDOW_SECONDS * 1000),
      },
      trustProxy: environment.SIGDESK_TRUST_PROXY,
    };
    this.rateLimits = {
      windowSeconds: environment.SIGDESK_RATE_LIMIT_WINDOW_SECONDS,
      perKey: environment.SIGDESK_RATE_LIMIT_PER_KEY,
      perAddress: environment.SIGDESK_RATE_LIMIT_PER_ADDRESS,
      failedAuthPerAddress: environment.SIGDESK_RATE_LIMIT_FAILED_AUTH_PER_ADDRESS,
    };
    this.logLevel = environment.LOG_LEVEL;
    this.dataDir = resolve(environment.DATA_DIR);
    this.web = { dir: resolve(environment.SIGDESK_WEB_DIR) };
    this.database = { url: environment.DATABASE_URL, migrateOnStart: environment.SIGDESK_MIGRATE_ON_START };
    this.redis = { url: environment.REDIS_URL, prefix: environment.REDIS_PREFIX };
    this.s3 = {
      endpoint: environment.S3_ENDPOINT,
      region: environment.S3_REGION,
      bucket: environment.S3_BUCKET,
      credentials:
        environment.S3_ACCESS_KEY_ID && environment.S3_SECRET_ACCESS_KEY
          ? { accessKeyId: environment.S3_ACCESS_KEY_ID, secretAccessKey: environment.S3_SECRET_ACCESS_KEY }
          : undefined,
    };
    this.objectCache = { maxBytes: environment.SIGDESK_OBJECT_CACHE_MAX_BYTES };
    this.bootstrapAdminKey = environment.SIGDESK_BOOTSTRAP_ADMIN_KEY;
    this.limits = limitsFromEnvironment(environment);
    this.intake = {
      spoolDir: resolve(environment.SIGDESK_SPOOL_DIR ?? tmpdir()),
      orphanGraceMs: environment.SIGDESK_ORPHAN_GRACE_MINUTES * 60_000,
      idempotencyTtlMs: environment.SIGDESK_IDEMPOTENCY_TTL_HOURS * 3_600_000,
    };
    this.retention = {
      rulePackImportsMs: environment.SIGDESK_RULE_PACK_RETENTION_DAYS * 86_400_000,
      compiledRulesetsIdleMs: environment.SIGDESK_COMPILED_RULESETS_IDLE_DAYS * 86_400_000,
    };
    this.releases = {
      graceMs: environment.SIGDESK_CURRENCY_GRACE_MINUTES * 60_000,
      defaultChannel: environment.SIGDESK_DEFAULT_CHANNEL,
    };
    this.docs = environment.SIGDESK_DOCS;
    this.builds = {
      signingKeyPem: environment.SIGDESK_SIGNING_KEY?.replace(/\\n/g, '\n'),
      expeditedWindowMs: environment.SIGDESK_EXPEDITED_WINDOW_SECONDS * 1000,
      scheduledEveryMs: environment.SIGDESK_SCHEDULED_BUILD_MINUTES * 60_000,
      leaseMs: environment.SIGDESK_BUILD_LEASE_SECONDS * 1000,
      maxAttempts: environment.SIGDESK_BUILD_MAX_ATTEMPTS,
      scanTimeoutMs: environment.SIGDESK_SCAN_TIMEOUT_SECONDS * 1000,
      ruleCheckEngines: environment.SIGDESK_RULE_CHECK_ENGINES,
      scanThreads: environment.SIGDESK_SCAN_THREADS || availableParallelism(),
      deltaProofs: environment.SIGDESK_DELTA_PROOFS,
    };
    this.review = {
      claimTimeoutMs: environment.SIGDESK_CLAIM_TIMEOUT_MINUTES * 60_000,
      slaWarningFraction: environment.SIGDESK_SLA_WARNING_FRACTION,
    };
    this.responseTargets = parseResponseTargets(environment.SIGDESK_RESPONSE_TARGETS);
    this.people = {
      publicUrl: (environment.SIGDESK_PUBLIC_URL ?? `http://localhost:${environment.PORT}`).replace(/\/+$/, ''),
      smtpUrl: environment.SIGDESK_SMTP_URL,
      mailFrom: environment.SIGDESK_MAIL_FROM,
      sessionIdleMs: Math.round(environment.SIGDESK_SESSION_IDLE_HOURS * 3_600_000),
      sessionAbsoluteMs: Math.round(environment.SIGDESK_SESSION_ABSOLUTE_DAYS * 86_400_000),
      invitationTtlMs: Math.round(environment.SIGDESK_INVITATION_TTL_HOURS * 3_600_000),
      passwordResetTtlMs: 3_600_000,
      requireTotpForStaff: environment.SIGDESK_REQUIRE_TOTP_FOR_STAFF,
    };
    this.webhooks = {
      allowLoopback: environment.SIGDESK_WEBHOOKS_ALLOW_LOOPBACK,
      allowPrivate: environment.SIGDESK_WEBHOOKS_ALLOW_PRIVATE,
      dnsServers: environment.SIGDESK_WEBHOOKS_DNS_SERVERS,
      connectTimeoutMs: Math.round(environment.SIGDESK_WEBHOOKS_CONNECT_TIMEOUT_SECONDS * 1000),
      timeoutMs: Math.round(environment.SIGDESK_WEBHOOKS_TIMEOUT_SECONDS * 1000),
      concurrency: environment.SIGDESK_WEBHOOKS_CONCURRENCY,
      organizationConcurrency: environment.SIGDESK_WEBHOOKS_ORGANIZATION_CONCURRENCY,
    };
  }

  /** The same configuration with the PostgreSQL server that this process found or started. */
  withDatabaseUrl(url: string): AppConfig {
    return Object.assign(Object.create(AppConfig.prototype) as AppConfig, this, {
      database: { ...this.database, url },
    });
  }

  static fromEnvironment(env: Record<string, string | undefined> = process.env): AppConfig {
    return new AppConfig(parseEnvironment(env));
  }
}
