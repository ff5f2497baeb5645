import { z } from 'zod';
import { isKnownCountry } from '@sigdesk/calendar';
import { text, uuidParam, wholeNumber } from '@sigdesk/http';
import { isValidTimeZone } from '../contracts/contract-rules';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), 'must be a real calendar date');

export const createOrganizationSchema = z
  .strictObject({
    name: text({ max: 200 }),
    timezone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Madrid'),
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as ES')
      .transform((value) => value.toUpperCase())
      .refine(isKnownCountry, 'must be a country whose public holidays are known (ISO 3166-1 alpha-2)'),
    /** The business calendar of the response clock; Monday to Friday, 09:00 to 18:00 unless said otherwise. */
    workingDays: z
      .array(wholeNumber({ min: 1, max: 7 }))
      .min(1)
      .max(7)
      .optional(),
    workStart: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM')
      .optional(),
    workEnd: z
      .string()
      .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be HH:MM')
      .optional(),
  })
  .refine((o) => (o.workStart ?? '09:00') < (o.workEnd ?? '18:00'), {
    message: 'must be after workStart',
    path: ['workEnd'],
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
    organizationId: uuidParam.optional(),
    name: text({ max: 200 }),
  })
  .refine((k) => (k.role === 'customer') === (k.organizationId !== undefined), {
    message: 'is required for customer keys and not allowed for other roles',
    path: ['organizationId'],
  });
