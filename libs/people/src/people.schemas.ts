import { z } from 'zod';
import { pageLimit, text, uuidParam } from '@sigdesk/http';
import { MAX_PASSWORD_LENGTH } from './rules/password-policy';
import { roleSchema as role } from './session-user.schema';

export * from './session-user.schema';

/** An email as people type it: trimmed and lower-cased, so that one address is one account whatever its case. */
export const emailSchema = text({ max: 254 })
  .refine((value) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value), 'must be an email address')
  .transform((value) => value.toLowerCase());

/** Passwords are checked against the policy by the service (it needs the email); here only their type and bound. */
const password = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_PASSWORD_LENGTH * 4);

export const signInSchema = z.strictObject({
  email: emailSchema,
  password,
  totpCode: z
    .string()
    .regex(/^\d{6}$/, 'must be the 6 digits of your authenticator app')
    .optional(),
});

export const totpConfirmSchema = z.strictObject({
  code: z.string().regex(/^\d{6}$/, 'must be the 6 digits of your authenticator app'),
});

export const invitationSchema = z.strictObject({
  email: emailSchema,
  displayName: text({ max: 120 }),
  role,
  organizationId: uuidParam.optional(),
  organizationAdmin: z.boolean().optional(),
});

export const acceptInvitationSchema = z.strictObject({
  password,
  displayName: text({ max: 120 }).optional(),
});

export const passwordResetRequestSchema = z.strictObject({ email: emailSchema });

export const passwordResetSchema = z.strictObject({ password });

export const listUsersQuerySchema = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: pageLimit(50),
});
