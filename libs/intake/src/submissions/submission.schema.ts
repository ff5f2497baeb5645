import { z } from 'zod';
import { text, wholeNumberText } from '@sigdesk/http';

/** The fields of `POST /v1/submissions`, as multipart sends them: all strings. */
export const submissionFieldsSchema = z
  .strictObject({
    kind: z.enum(['false_positive', 'false_negative']),
    severity: z.enum(['1', '2', '3', '4'], 'must be 1, 2, 3 or 4').transform(Number),
    premium: z
      .enum(['true', 'false'], 'must be true or false')
      .optional()
      .transform((value) => value === 'true'),
    product: text({ max: 200 }),
    productVersion: text({ max: 100 }),
    databaseChannel: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
      .optional(),
    databaseVersion: wholeNumberText().optional(),
    databaseReleasedAt: z.iso
      .datetime({ offset: true, message: 'must be an ISO 8601 date and time, e.g. 2026-11-25T10:00:00Z' })
      .transform((value) => new Date(value))
      .optional(),
    detectionName: text({ max: 500 }).optional(),
    description: text({ max: 20_000, multiline: true }),
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
