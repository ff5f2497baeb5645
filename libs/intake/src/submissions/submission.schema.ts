import { z } from 'zod';

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

/** The fields of `POST /v1/submissions`, as multipart sends them: all strings. */
export const submissionFieldsSchema = z
  .strictObject({
    kind: z.enum(['false_positive', 'false_negative']),
    severity: z.enum(['1', '2', '3', '4'], 'must be 1, 2, 3 or 4').transform(Number),
    premium: z
      .enum(['true', 'false'], 'must be true or false')
      .optional()
      .transform((value) => value === 'true'),
    product: text(200),
    productVersion: text(100),
    databaseChannel: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
      .optional(),
    databaseVersion: z
      .string()
      .regex(/^\d{1,10}$/, 'must be a whole number')
      .transform(Number)
      .optional(),
    databaseReleasedAt: z.iso
      .datetime({ offset: true, message: 'must be an ISO 8601 date and time, e.g. 2026-11-25T10:00:00Z' })
      .transform((value) => new Date(value))
      .optional(),
    detectionName: text(500).optional(),
    description: text(20_000),
  })
  .refine((f) => (f.databaseVersion === undefined) !== (f.databaseReleasedAt === undefined), {
    message: 'give exactly one of databaseVersion or databaseReleasedAt',
    path: ['databaseVersion'],
  })
  .refine((f) => f.kind !== 'false_positive' || f.detectionName !== undefined, {
    message: 'is required for a false positive: the verdict name your product showed',
    path: ['detectionName'],
  });

export type SubmissionFields = z.output<typeof submissionFieldsSchema>;
