import { z } from 'zod';

/**
 * Builds as `GET /v1/database-builds` and `GET /v1/database-builds/:version` describe them. In a file of its own, on
 * zod only, so that the web app takes its types from here and the OpenAPI document describes them.
 */
const gateSchema = z.object({ check: z.string(), passed: z.boolean() });

const buildCaseSchema = z.object({
  id: z.string().uuid(),
  reference: z.string(),
  tier: z.enum(['standard', 'msa_start']),
  status: z.string(),
});

export const buildViewSchema = z.object({
  channel: z.string(),
  version: z.number(),
  parentVersion: z.number().nullable(),
  kind: z.enum(['expedited', 'scheduled']),
  status: z.enum(['building', 'stored', 'failed', 'published']),
  /** the stage running or reached: content, compiling, case samples, clean corpus, regression, artifact, store… */
  stage: z.string(),
  /** the stage's figures while it runs (`files`, `scanned`, `rules`…) */
  progress: z.record(z.string(), z.unknown()),
  attempts: z.number(),
  /** the ids of the signature changes it holds */
  changes: z.array(z.string()),
  /** why it failed: the gate, what it found, and the changes to blame */
  failure: z.record(z.string(), z.unknown()).nullable(),
  startedAt: z.string(),
  durationMs: z.number().nullable(),
  finishedAt: z.string().nullable(),
  publishedAt: z.string().nullable(),
  /** each check of its proof, and whether it passed */
  gates: z.array(gateSchema),
  /** the cases its changes fix */
  cases: z.array(buildCaseSchema),
});

export const buildListSchema = z.object({ items: z.array(buildViewSchema), nextCursor: z.string().nullable() });

const deltaSummarySchema = z.object({
  /** rule names, at most 500 of each kind; `counts` are whole */
  rules: z.object({
    added: z.array(z.string()),
    changed: z.array(z.string()),
    removed: z.array(z.string()),
    counts: z.object({ added: z.number(), changed: z.number(), removed: z.number() }),
  }),
  allowlist: z.object({ added: z.number(), removed: z.number() }),
});

export const buildDetailSchema = buildViewSchema.extend({
  /** what it changes against its parent (a stored or published build) */
  delta: deltaSummarySchema.nullable(),
  /** what publishing it would do (a stored build): the cases that become fixed */
  casesClosedByPublishing: z.array(z.object({ id: z.string().uuid(), reference: z.string() })),
  /** the proof: each check with its evidence, and the detection diff against the parent */
  report: z.record(z.string(), z.unknown()).nullable(),
  manifest: z.record(z.string(), z.unknown()).nullable(),
  manifestSha256: z.string().nullable(),
  /** Ed25519 over manifest.json, base64 */
  signature: z.string().nullable(),
  /** short-lived download addresses, by file name */
  downloads: z.record(z.string(), z.string()),
  downloadsExpireAt: z.string().nullable(),
});

export const publishedBuildSchema = buildViewSchema
  .omit({ gates: true, cases: true })
  .extend({ alreadyPublished: z.boolean(), casesFixed: z.number() });

export type DeltaSummary = z.infer<typeof deltaSummarySchema>;
export type BuildView = z.infer<typeof buildViewSchema>;
export type BuildList = z.infer<typeof buildListSchema>;
export type BuildDetail = z.infer<typeof buildDetailSchema>;
export type PublishedBuild = z.infer<typeof publishedBuildSchema>;
