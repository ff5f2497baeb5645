import { z } from 'zod';

/**
 * `GET /v1/dashboard`'s answer. In a file of its own, on zod only, so that the web app takes its types from here and
 * the OpenAPI document describes it.
 */
const tierSchema = z.enum(['standard', 'msa_start']);

const secondsSummarySchema = z.object({
  p50: z.number().nullable(),
  p90: z.number().nullable(),
  max: z.number().nullable(),
});

const fixTimeSchema = z.object({
  tier: tierSchema,
  /** signature changes built in the period */
  changes: z.number(),
  /** from a change's approval to the stored build that holds it */
  approvalToBuildSeconds: secondsSummarySchema,
  /** from the customer's report to the stored build that holds its case's change */
  reportToBuildSeconds: secondsSummarySchema,
});

export const dashboardOverviewSchema = z.object({
  period: z.object({ from: z.string(), days: z.number(), timeZone: z.string() }),
  queue: z.object({
    total: z.number(),
    breached: z.number(),
    /** open cases by tier, premium and severity, in contract order */
    groups: z.array(
      z.object({
        tier: tierSchema,
        premium: z.boolean(),
        severity: z.number(),
        total: z.number(),
        queued: z.number(),
        inReview: z.number(),
        awaitingCustomer: z.number(),
        breached: z.number(),
      }),
    ),
  }),
  /** every day of the period (YYYY-MM-DD in the period's time zone): response clocks that ended met or breached */
  responseClocks: z.array(z.object({ day: z.string(), met: z.number(), breached: z.number() })),
  fixTimes: z.object({
    byTier: z.array(fixTimeSchema),
    /** the days on which builds stored changes, per tier */
    byDay: z.array(fixTimeSchema.extend({ day: z.string() })),
  }),
  activity: z.array(
    z.object({
      day: z.string(),
      validationsPassed: z.number(),
      validationsFailed: z.number(),
      buildsStored: z.number(),
      buildsFailed: z.number(),
      buildsPublished: z.number(),
    }),
  ),
});

export type DashboardOverview = z.infer<typeof dashboardOverviewSchema>;
