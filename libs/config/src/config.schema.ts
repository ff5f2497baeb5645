import { isIP, isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { parseResponseTargets } from '@sigdesk/calendar';
import { checkLimits, limitsEnvironmentSchema } from './limits';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const positiveInt = z.coerce.number().int().positive();

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** `1.2.3.4`, `1.2.3.4:53`, `2001:db8::1` or `[2001:db8::1]:53`, as Node's DNS resolver takes them. */
function isDnsServer(value: string): boolean {
  const port = (text: string | undefined) => text === undefined || (/^\d{1,5}$/.test(text) && Number(text) <= 65535);
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed) return isIPv6(bracketed[1]) && port(bracketed[2]);
  if (isIP(value)) return true;
  const [host, portText, ...rest] = value.split(':');
  return rest.length === 0 && isIPv4(host) && port(portText);
}

/** What Fastify's `trustProxy` takes in a list: an address, a CIDR range, or one of proxy-addr's named ranges. */
function isProxyAddress(value: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(value)) return true;
  const [address, bits, ...rest] = value.split('/');
  if (rest.length || !isIP(address)) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (isIPv4(address) ? 32 : 128);
}

/**
 * Every environment variable sigdesk reads. `process.env` is read here and nowhere else:
 * the rest of the code receives the typed {@link AppConfig}.
 */
export const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('./data'),
  SIGDESK_SPOOL_DIR: z.string().optional(),
  SIGDESK_WEB_DIR: z.string().default('./dist/web'),

  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  REDIS_PREFIX: z
    .string()
    .regex(/^[\w:-]+$/)
    .default('sigdesk'),

  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
    .default('sigdesk'),
  // required with S3_ENDPOINT; without it, the embedded S3 server uses them, or keys it makes and keeps in DATA_DIR
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),

  SIGDESK_BOOTSTRAP_ADMIN_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  SIGDESK_OBJECT_CACHE_MAX_BYTES: positiveInt.default(8 * GiB),
  SIGDESK_CURRENCY_GRACE_MINUTES: z.coerce.number().int().min(0).default(180),
  SIGDESK_DEFAULT_CHANNEL: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/)
    .default('default'),
  SIGDESK_ORPHAN_GRACE_MINUTES: z.coerce.number().int().min(0).default(60),
  SIGDESK_IDEMPOTENCY_TTL_HOURS: positiveInt.default(24),
  SIGDESK_RULE_PACK_RETENTION_DAYS: positiveInt.default(30),
  SIGDESK_COMPILED_RULESETS_IDLE_DAYS: positiveInt.default(7),
  SIGDESK_CLAIM_TIMEOUT_MINUTES: positiveInt.default(120),
  SIGDESK_SLA_WARNING_FRACTION: z.coerce.number().gt(0).lt(1).default(0.75),
  SIGDESK_SIGNING_KEY: z
    .string()
    .refine((v) => v.includes('BEGIN PRIVATE KEY'), 'must be an Ed25519 private key in PEM (PKCS#8)')
    .optional(),
  SIGDESK_EXPEDITED_WINDOW_SECONDS: z.coerce.number().min(0).max(300).default(5),
  SIGDESK_SCHEDULED_BUILD_MINUTES: positiveInt.default(360),
  SIGDESK_BUILD_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  SIGDESK_BUILD_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  SIGDESK_SCAN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  SIGDESK_RULE_CHECK_ENGINES: z.coerce.number().int().min(0).max(16).default(2),
  /** scans each compiled ruleset runs at once (its engine's threads); 0: one per core of the machine */
  SIGDESK_SCAN_THREADS: z.coerce.number().int().min(0).max(256).default(0),
  /** proofs scan with the changed rules alone (see ContentProver): off while YARA-X's shared patterns misbehave */
  SIGDESK_DELTA_PROOFS: booleanFlag.default(false),
  SIGDESK_RESPONSE_TARGETS: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      try {
        parseResponseTargets(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  SIGDESK_WEBHOOKS_ALLOW_LOOPBACK: booleanFlag.default(false),
  SIGDESK_WEBHOOKS_ALLOW_PRIVATE: booleanFlag.default(false),
  SIGDESK_WEBHOOKS_DNS_SERVERS: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      for (const server of value ? splitList(value) : []) {
        if (!isDnsServer(server)) {
          ctx.addIssue({ code: 'custom', message: `${server} is not an IP address with an optional port` });
        }
      }
    })
    .transform((value) => (value ? splitList(value) : undefined)),
  SIGDESK_WEBHOOKS_CONNECT_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(60).default(5),
  SIGDESK_WEBHOOKS_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(120).default(10),
  SIGDESK_WEBHOOKS_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  SIGDESK_WEBHOOKS_ORGANIZATION_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  // connections: a slow client is cut, a legitimate one on a slow line never is (README, "Connections")
  SIGDESK_HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(600).default(30),
  SIGDESK_HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(3600).default(120),
  SIGDESK_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(3600).default(72),
  SIGDESK_HTTP_IDLE_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(3600).default(300),
  SIGDESK_UPLOAD_MIN_RATE_KIB: z.coerce.number().min(0).max(1_048_576).default(1),
  SIGDESK_UPLOAD_MIN_RATE_WINDOW_SECONDS: z.coerce.number().min(0.1).max(3600).default(60),
  SIGDESK_TRUST_PROXY: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      for (const item of value ? splitList(value) : []) {
        if (!isProxyAddress(item)) {
          ctx.addIssue({
            code: 'custom',
            message: `${item} is not an IP address, a CIDR range, or loopback, linklocal or uniquelocal`,
          });
        }
      }
    })
    .transform((value) => (value ? splitList(value) : undefined)),
  // rate limits: requests per window; 0 turns one off
  SIGDESK_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  SIGDESK_RATE_LIMIT_PER_KEY: z.coerce.number().int().min(0).default(600),
  SIGDESK_RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(0).default(300),
  SIGDESK_RATE_LIMIT_FAILED_AUTH_PER_ADDRESS: z.coerce.number().int().min(0).default(30),
  SIGDESK_PUBLIC_URL: z
    .string()
    .url()
    .refine((v) => /^https?:\/\//.test(v), 'must be an http(s) URL')
    .optional(),
  SIGDESK_SMTP_URL: z
    .string()
    .url()
    .refine((v) => /^smtps?:\/\//.test(v), 'must be an smtp:// or smtps:// URL')
    .optional(),
  SIGDESK_MAIL_FROM: z.string().min(3).default('sigdesk <sigdesk@localhost>'),
  SIGDESK_SESSION_IDLE_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(12),
  SIGDESK_SESSION_ABSOLUTE_DAYS: z.coerce.number().positive().max(365).default(7),
  SIGDESK_INVITATION_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 90)
    .default(72),
  SIGDESK_REQUIRE_TOTP_FOR_STAFF: booleanFlag.default(false),
  SIGDESK_MIGRATE_ON_START: booleanFlag.default(true),
  SIGDESK_DOCS: booleanFlag.default(true),
});

/** With the bounds of what clients control, which have a section of their own (limits.ts). */
const fullEnvironmentSchema = environmentSchema
  .extend(limitsEnvironmentSchema.shape)
  .superRefine(checkLimits)
  .superRefine((env, ctx) => {
    // S3 keys go in pairs, and an S3 server of the operator's needs them: there are no default keys
    const pair = { S3_ACCESS_KEY_ID: 'S3_SECRET_ACCESS_KEY', S3_SECRET_ACCESS_KEY: 'S3_ACCESS_KEY_ID' } as const;
    for (const [name, other] of Object.entries(pair) as Array<[keyof typeof pair, keyof typeof pair]>) {
      if (env[name] !== undefined) continue;
      if (env[other] !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: `required with ${other}` });
      else if (env.S3_ENDPOINT) ctx.addIssue({ code: 'custom', path: [name], message: 'required with S3_ENDPOINT' });
    }
  });

export type Environment = z.infer<typeof fullEnvironmentSchema>;

export class ConfigError extends Error {}

/** Parses the environment; a wrong value throws a {@link ConfigError} naming each variable. */
export function parseEnvironment(env: Record<string, string | undefined>): Environment {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = fullEnvironmentSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}
