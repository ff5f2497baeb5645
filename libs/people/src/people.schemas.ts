import { z } from 'zod';
import { pageLimit, text, uuidParam } from '@sigdesk/http';
import { MAX_PASSWORD_LENGTH } from './rules/password-policy';

const role = z.enum(['customer', 'analyst', 'release', 'admin']);

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

/** A person as the API describes them (`POST /v1/sessions`, `GET /v1/sessions/current`, users' lists). */
export const sessionUserSchema = z.object({
  id: z.string().uuid(),
  email: z.string(),
  displayName: z.string(),
  role,
  /** The organisation of a customer; null for the vendor's staff. */
  organizationId: z.string().uuid().nullable(),
  /** A customer who manages their organisation's users. */
  organizationAdmin: z.boolean(),
  totpEnabled: z.boolean(),
});

export type SessionUser = z.infer<typeof sessionUserSchema>;

export const currentSessionSchema = z.object({
  user: sessionUserSchema,
  /** Sent as `X-CSRF-Token` with every state-changing request made with the session's cookie. */
  csrfToken: z.string(),
});

export const listUsersQuerySchema = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: pageLimit(50),
});
