import { z } from 'zod';
import { isValidTimeZone } from '../contracts/contract-rules';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), 'must be a real calendar date');

export const createOrganizationSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  timezone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Madrid'),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as ES')
    .transform((value) => value.toUpperCase()),
});

export const createContractSchema = z
  .strictObject({
    tier: z.enum(['standard', 'msa_start']),
    startsOn: isoDate,
    endsOn: isoDate,
  })
  .refine((c) => c.endsOn >= c.startsOn, { message: 'must not be before startsOn', path: ['endsOn'] });

export const createApiKeySchema = z
  .strictObject({
    role: z.enum(['customer', 'analyst', 'release', 'admin']),
    organizationId: z.string().uuid().optional(),
    name: z.string().trim().min(1).max(200),
  })
  .refine((k) => (k.role === 'customer') === (k.organizationId !== undefined), {
    message: 'is required for customer keys and not allowed for other roles',
    path: ['organizationId'],
  });
