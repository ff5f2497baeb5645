import { z } from 'zod';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

const positiveInt = z.coerce.number().int().positive();

/**
 * The upper bound of everything a client controls, in one place: each has a default and an environment variable
 * that overrides it (the README's table lists them). The code that enforces a bound reads it from
 * {@link AppConfig.limits}, never from a constant of its own. Past a bound a request is refused before anything
 * is stored: 413 for a size, 400 for a count, 431 for headers, 414 for a URL (archives: 422 with their own codes).
 */
export const limitsEnvironmentSchema = z.object({
  // HTTP, before any route
  SIGDESK_LIMIT_HEADER_BYTES: z.coerce
    .number()
    .int()
    .min(4 * KiB)
    .max(256 * KiB)
    .default(16 * KiB),
  SIGDESK_LIMIT_HEADER_COUNT: z.coerce.number().int().min(16).max(1000).default(64),
  SIGDESK_LIMIT_URL_BYTES: z.coerce
    .number()
    .int()
    .min(256)
    .max(64 * KiB)
    .default(2 * KiB),
  SIGDESK_LIMIT_PATH_PARAM_CHARS: z.coerce.number().int().min(36).max(1000).default(100),
  // JSON bodies
  SIGDESK_LIMIT_JSON_BODY_BYTES: positiveInt.default(1 * MiB),
  SIGDESK_LIMIT_JSON_DEPTH: z.coerce.number().int().min(2).max(64).default(8),
  SIGDESK_LIMIT_JSON_KEYS: z.coerce.number().int().min(8).max(10_000).default(64),
  SIGDESK_LIMIT_JSON_ARRAY_ITEMS: z.coerce.number().int().min(8).max(100_000).default(1000),
  SIGDESK_LIMIT_STRING_CHARS: z.coerce
    .number()
    .int()
    .min(1 * KiB)
    .default(256 * KiB),
  // multipart uploads (submissions, replies, corpus uploads)
  SIGDESK_MAX_SAMPLE_BYTES: positiveInt.default(256 * MiB),
  SIGDESK_MAX_FILES_PER_SUBMISSION: positiveInt.default(20),
  SIGDESK_LIMIT_UPLOAD_BYTES: positiveInt.default(1 * GiB),
  SIGDESK_LIMIT_MULTIPART_FIELDS: z.coerce.number().int().min(12).max(1000).default(20),
  SIGDESK_LIMIT_MULTIPART_FIELD_BYTES: z.coerce
    .number()
    .int()
    .min(1 * KiB)
    .max(16 * MiB)
    .default(64 * KiB),
  // protected ZIPs (refused with 422 and the archive_* codes: zip bombs are refused, not unpacked)
  SIGDESK_ARCHIVE_MAX_ENTRIES: positiveInt.default(200),
  SIGDESK_ARCHIVE_MAX_UNPACKED_BYTES: positiveInt.default(1 * GiB),
  SIGDESK_ARCHIVE_MAX_RATIO: positiveInt.default(200),
  SIGDESK_ARCHIVE_MAX_NESTING: z.coerce.number().int().min(0).max(5).default(2),
  // lists and stored things
  // clients page with up to 100 (the CLI does): the bound may be raised, not lowered below that
  SIGDESK_LIMIT_PAGE_SIZE: z.coerce.number().int().min(100).max(1000).default(200),
  SIGDESK_LIMIT_WEBHOOKS_PER_ORGANIZATION: z.coerce.number().int().min(1).max(1000).default(10),
  SIGDESK_LIMIT_API_KEYS_PER_ORGANIZATION: z.coerce.number().int().min(1).max(1000).default(20),
});

export type LimitsEnvironment = z.infer<typeof limitsEnvironmentSchema>;

export interface ArchiveLimits {
  maxEntries: number;
  maxUnpackedBytes: number;
  maxRatio: number;
  maxNesting: number;
}

export interface Limits {
  http: {
    /** the request line and every header together (Node's maxHeaderSize): 431 past it */
    headerBytes: number;
    /** header lines of one request: 431 past it */
    headerCount: number;
    /** the request target (path and query): 414 past it */
    urlBytes: number;
    /** one path parameter (ids are 36): longer ones match no route (404) */
    pathParamChars: number;
  };
  json: {
    /** one JSON body: 413 past it */
    bodyBytes: number;
    /** objects and arrays inside one another: 400 past it */
    depth: number;
    /** keys of one object: 400 past it */
    keys: number;
    /** items of one array: 400 past it */
    arrayItems: number;
  };
  /**
   * Characters of any one string a client sends (JSON values and keys): 413 past it. Each field's schema has a
   * bound of its own within it (shown in the OpenAPI document), refused with 400 `invalid_input`.
   */
  stringChars: number;
  multipart: {
    /** one file part (a sample, a corpus file): 413 `sample_too_large` */
    fileBytes: number;
    /** file parts of one request: 400 `too_many_files` */
    files: number;
    /** the whole upload, declared (Content-Length) or counted: 413 `upload_too_large` */
    uploadBytes: number;
    /** text fields of one request: 400 `too_many_fields` */
    fields: number;
    /** one text field (and its name): 413 `field_too_large` */
    fieldBytes: number;
  };
  archive: ArchiveLimits;
  /** items of one page of any list (`limit`): 400 past it */
  pageSize: number;
  /** active webhooks of one organisation: 422 `too_many_webhooks` past it */
  webhooksPerOrganization: number;
  /** API keys one organisation holds unrevoked (made by its admins or by sigdesk's): 422 `too_many_api_keys` past it */
  apiKeysPerOrganization: number;
}

export function limitsFromEnvironment(environment: LimitsEnvironment): Limits {
  return {
    http: {
      headerBytes: environment.SIGDESK_LIMIT_HEADER_BYTES,
      headerCount: environment.SIGDESK_LIMIT_HEADER_COUNT,
      urlBytes: environment.SIGDESK_LIMIT_URL_BYTES,
      pathParamChars: environment.SIGDESK_LIMIT_PATH_PARAM_CHARS,
    },
    json: {
      bodyBytes: environment.SIGDESK_LIMIT_JSON_BODY_BYTES,
      depth: environment.SIGDESK_LIMIT_JSON_DEPTH,
      keys: environment.SIGDESK_LIMIT_JSON_KEYS,
      arrayItems: environment.SIGDESK_LIMIT_JSON_ARRAY_ITEMS,
    },
    stringChars: environment.SIGDESK_LIMIT_STRING_CHARS,
    multipart: {
      fileBytes: environment.SIGDESK_MAX_SAMPLE_BYTES,
      files: environment.SIGDESK_MAX_FILES_PER_SUBMISSION,
      uploadBytes: environment.SIGDESK_LIMIT_UPLOAD_BYTES,
      fields: environment.SIGDESK_LIMIT_MULTIPART_FIELDS,
      fieldBytes: environment.SIGDESK_LIMIT_MULTIPART_FIELD_BYTES,
    },
    archive: {
      maxEntries: environment.SIGDESK_ARCHIVE_MAX_ENTRIES,
      maxUnpackedBytes: environment.SIGDESK_ARCHIVE_MAX_UNPACKED_BYTES,
      maxRatio: environment.SIGDESK_ARCHIVE_MAX_RATIO,
      maxNesting: environment.SIGDESK_ARCHIVE_MAX_NESTING,
    },
    pageSize: environment.SIGDESK_LIMIT_PAGE_SIZE,
    webhooksPerOrganization: environment.SIGDESK_LIMIT_WEBHOOKS_PER_ORGANIZATION,
    apiKeysPerOrganization: environment.SIGDESK_LIMIT_API_KEYS_PER_ORGANIZATION,
  };
}

/** Bounds that only make sense together; a violation names the variables. */
export function checkLimits(environment: LimitsEnvironment, ctx: z.RefinementCtx): void {
  if (environment.SIGDESK_LIMIT_UPLOAD_BYTES < environment.SIGDESK_MAX_SAMPLE_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['SIGDESK_LIMIT_UPLOAD_BYTES'],
      message: 'must be at least SIGDESK_MAX_SAMPLE_BYTES (one upload holds at least one whole sample)',
    });
  }
}
