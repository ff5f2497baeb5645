import { z } from 'zod';

/*
 * What the review's endpoints answer, written as schemas for the OpenAPI document; the web console takes its types
 * from here. Only zod is imported, so that the web app can read this file.
 */

const caseStatus = z.enum([
  'received',
  'rejected',
  'queued',
  'in_review',
  'awaiting_customer',
  'confirmed',
  'not_reproduced',
  'declined',
  'fix_scheduled',
  'fixed',
  'closed',
]);

export const responseClockSchema = z.object({
  state: z.enum(['running', 'paused', 'met', 'breached', 'none']),
  remainingWorkingSeconds: z
    .number()
    .int()
    .nullable()
    .describe('working seconds left to the qualified response while running or paused'),
  countingForSeconds: z
    .number()
    .int()
    .describe(
      'seconds from now during which the time left keeps counting down (to the end of the working hours, or the due time); 0 when it does not count now',
    ),
  targetWorkingSeconds: z
    .number()
    .int()
    .describe("the whole response time of the case's tier and severity, in working seconds"),
});

export const claimSchema = z
  .object({
    holder: z.object({
      id: z.uuid().describe('the person or API key that holds the claim'),
      kind: z.enum(['person', 'key']),
      name: z.string().nullable().describe("the person's display name, or the key's name"),
    }),
    claimedAt: z.string().nullable(),
    lastActivityAt: z.string().nullable().describe("the holder's last action on the case"),
    releasesAt: z
      .string()
      .nullable()
      .describe('when the claim goes back to the queue by itself unless its holder acts on the case'),
    stale: z.boolean().describe('no action by its holder for half the claim timeout or more: others may take it over'),
  })
  .describe('who holds a case in review; null when nobody does');

export const queueItemSchema = z.object({
  id: z.uuid(),
  reference: z.string(),
  status: z.enum(['queued', 'in_review']),
  organization: z.object({ id: z.uuid(), name: z.string() }),
  kind: z.enum(['false_positive', 'false_negative']),
  tier: z.enum(['standard', 'msa_start']),
  premium: z.boolean(),
  severity: z.number().int(),
  responseDueAt: z.string().nullable(),
  msLeft: z.number().nullable().describe('wall-clock milliseconds to the due time (negative once past)'),
  responseClock: responseClockSchema,
  slaWarned: z.boolean(),
  slaBreached: z.boolean(),
  claim: claimSchema.nullable(),
  group: z.object({ id: z.uuid(), size: z.number().int() }),
  createdAt: z.string(),
});

export const queuePageSchema = z.object({
  items: z.array(queueItemSchema),
  nextCursor: z.string().nullable(),
});

const triageSampleSchema = z.object({
  sha256: z.string(),
  detected: z.boolean(),
  rules: z.array(z.string()),
  allowlisted: z.boolean(),
});

export const analystCaseSchema = z.object({
  id: z.uuid(),
  reference: z.string(),
  status: caseStatus,
  kind: z.enum(['false_positive', 'false_negative']),
  severity: z.number().int(),
  premium: z.boolean(),
  priority: z.object({ tier: z.enum(['standard', 'msa_start']), premium: z.boolean(), severity: z.number().int() }),
  product: z.string(),
  productVersion: z.string(),
  database: z.object({ channel: z.string(), version: z.number().int() }),
  detectionName: z.string().nullable(),
  description: z.string(),
  responseDueAt: z.string().nullable(),
  fixedInDatabaseVersion: z.number().int().nullable(),
  fixScheduledInDatabaseVersion: z.number().int().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  samples: z.array(
    z.object({
      sha256: z.string(),
      sha1: z.string().nullable().describe('null until the intake job has computed it (intake_completed)'),
      md5: z.string().nullable().describe('null until the intake job has computed it (intake_completed)'),
      size: z.number().int(),
      type: z.string(),
      fileName: z.string(),
      archivePath: z.string().nullable(),
      otherCases: z
        .array(
          z.object({
            id: z.uuid(),
            reference: z.string(),
            status: caseStatus,
            organization: z.object({ id: z.uuid(), name: z.string() }),
          }),
        )
        .describe('the latest other cases with the same sample (of any organisation; analysts only), at most 20'),
      otherCasesTotal: z.number().int().describe('how many other cases have the same sample'),
    }),
  ),
  timeline: z.array(
    z.object({
      type: z.string(),
      fromStatus: caseStatus.nullable(),
      toStatus: caseStatus.nullable(),
      by: z.object({
        role: z.string(),
        userId: z.string().optional(),
        name: z.string().nullable().optional(),
        keyId: z.string().nullable().optional(),
      }),
      at: z.string(),
      data: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  customer: z
    .object({ id: z.uuid(), name: z.string(), timezone: z.string(), country: z.string() })
    .optional()
    .describe("the customer's organisation"),
  contract: z
    .object({ id: z.uuid(), tier: z.enum(['standard', 'msa_start']), startsOn: z.string(), endsOn: z.string() })
    .optional(),
  assignedTo: z.string().nullable(),
  claim: claimSchema.nullable(),
  firstResponseAt: z.string().nullable(),
  sla: z.object({
    responseDueAt: z.string().nullable(),
    paused: z.boolean(),
    warnedAt: z.string().nullable(),
    breachedAt: z.string().nullable(),
  }),
  responseClock: responseClockSchema,
  triage: z
    .object({
      databaseVersion: z.number().int(),
      samples: z.array(triageSampleSchema),
      scheduled: z
        .object({ databaseVersion: z.number().int(), samples: z.array(triageSampleSchema) })
        .nullable()
        .describe('what a stored, unpublished build says of the samples, when there is one newer'),
    })
    .nullable()
    .describe('what the published database matched in the samples at intake; null before intake ends'),
  verdict: z.object({ verdict: z.string(), note: z.string().nullable(), at: z.string().optional() }).nullable(),
  group: z.object({
    id: z.uuid(),
    cases: z.array(z.object({ id: z.uuid(), reference: z.string(), status: caseStatus })),
  }),
});

export type CaseStatusName = z.infer<typeof caseStatus>;
export type ResponseClock = z.infer<typeof responseClockSchema>;
export type Claim = z.infer<typeof claimSchema>;
export type QueueItem = z.infer<typeof queueItemSchema>;
export type QueuePage = z.infer<typeof queuePageSchema>;
export type AnalystCase = z.infer<typeof analystCaseSchema>;
