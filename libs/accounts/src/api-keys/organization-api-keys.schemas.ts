import { z } from 'zod';
import { pageLimit, text } from '@sigdesk/http';

export const createOrganizationApiKeySchema = z.strictObject({
  name: text({ max: 200 }).describe('what the key is for, e.g. "SIEM integration"'),
});

export const listOrganizationApiKeysQuerySchema = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: pageLimit(50),
});
