import { z } from 'zod';
import { webhookUrlProblem } from './webhook-url';

export const createWebhookSchema = z.strictObject({
  url: z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      const problem = webhookUrlProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .transform((value) => new URL(value).href),
});

export const listDeliveriesQuerySchema = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});
