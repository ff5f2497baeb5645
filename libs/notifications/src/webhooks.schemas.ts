import { z } from 'zod';
import { pageLimit } from '@sigdesk/http';
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
  limit: pageLimit(25),
});
