import { z } from 'zod';

const premiumIncidentsSchema = z.object({
  total: z.number().int(),
  used: z.number().int(),
  remaining: z.number().int(),
});

/**
 * The answer of `GET /v1/organizations/current`: the caller's organisation, the contract in force today (with what
 * is left of its premium incidents under MSA Start) and the bounds of an upload, so that a client can refuse what
 * the API would refuse before sending a byte. Written as a schema for the OpenAPI document.
 */
export const currentOrganizationSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  timezone: z.string().describe('IANA time zone of the business calendar, e.g. Europe/Madrid'),
  country: z.string().describe('ISO 3166-1 alpha-2: whose public holidays the response clock skips'),
  contract: z
    .object({
      tier: z.enum(['standard', 'msa_start']),
      startsOn: z.string().describe('YYYY-MM-DD, in the organisation’s time zone'),
      endsOn: z.string().describe('YYYY-MM-DD, in the organisation’s time zone'),
      premiumIncidents: premiumIncidentsSchema.optional().describe('MSA Start only: the term’s premium incidents'),
    })
    .nullable()
    .describe('the contract in force today; null when none is (no submission is accepted then)'),
  limits: z.object({
    maxSampleBytes: z.number().int().describe('the largest file part of an upload (413 sample_too_large)'),
    maxFilesPerSubmission: z.number().int().describe('file parts in one upload (400 too_many_files)'),
  }),
});

export type CurrentOrganization = z.infer<typeof currentOrganizationSchema>;
