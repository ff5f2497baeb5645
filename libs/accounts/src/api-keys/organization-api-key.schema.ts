import { z } from 'zod';

/**
 * An API key as its organisation's admins see it (`GET /v1/organizations/current/api-keys`). In a file of its own,
 * on zod only, so that the web app takes its types from here. The key itself is never listed: it is shown once, in
 * the answer that made it.
 */
export const organizationApiKeySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe('the first characters of the key, to tell keys apart (sdk_cus_…)'),
  createdAt: z.string().describe('ISO 8601'),
  createdBy: z
    .string()
    .nullable()
    .describe("the display name of the person who made it; null when sigdesk's administrators made it"),
  lastUsedAt: z.string().nullable().describe('ISO 8601, to the minute; null when never used'),
  revoked: z.boolean(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable().describe('the display name of the person who revoked it, as for createdBy'),
});

export type OrganizationApiKey = z.infer<typeof organizationApiKeySchema>;

export const organizationApiKeyPageSchema = z.object({
  items: z.array(organizationApiKeySchema),
  nextCursor: z.string().nullable(),
});

/** `POST /v1/organizations/current/api-keys`: the key, shown this once (only its SHA-256 is kept). */
export const createdOrganizationApiKeySchema = organizationApiKeySchema.extend({
  key: z.string().describe('send it as "Authorization: Bearer <key>"; it is not shown again'),
});

export type CreatedOrganizationApiKey = z.infer<typeof createdOrganizationApiKeySchema>;
