import { z } from 'zod';
import { parseResponseTargets } from '@sigdesk/calendar';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const positiveInt = z.coerce.number().int().positive();

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
  S3_ACCESS_KEY_ID: z.string().default('S3RVER'),
  S3_SECRET_ACCESS_KEY: z.string().default('S3RVER'),

  SIGDESK_BOOTSTRAP_ADMIN_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  SIGDESK_MAX_SAMPLE_BYTES: positiveInt.default(256 * MiB),
  SIGDESK_OBJECT_CACHE_MAX_BYTES: positiveInt.default(8 * GiB),
  SIGDESK_MAX_FILES_PER_SUBMISSION: positiveInt.default(20),
  SIGDESK_ARCHIVE_MAX_ENTRIES: positiveInt.default(200),
  SIGDESK_ARCHIVE_MAX_UNPACKED_BYTES: positiveInt.default(1024 * MiB),
  SIGDESK_ARCHIVE_MAX_RATIO: positiveInt.default(200),
  SIGDESK_ARCHIVE_MAX_NESTING: z.coerce.number().int().min(0).max(5).default(2),
  SIGDESK_CURRENCY_GRACE_MINUTES: z.coerce.number().int().min(0).default(180),
  SIGDESK_DEFAULT_CHANNEL: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/)
    .default('default'),
  SIGDESK_ORPHAN_GRACE_MINUTES: z.coerce.number().int().min(0).default(60),
  SIGDESK_IDEMPOTENCY_TTL_HOURS: positiveInt.default(24),
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
  SIGDESK_MIGRATE_ON_START: booleanFlag.default(true),
  SIGDESK_DOCS: booleanFlag.default(true),
});

export type Environment = z.infer<typeof environmentSchema>;

export class ConfigError extends Error {}

/** Parses the environment; a wrong value throws a {@link ConfigError} naming each variable. */
export function parseEnvironment(env: Record<string, string | undefined>): Environment {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = environmentSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}
