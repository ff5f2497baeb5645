import { z } from 'zod';

/** The roles of people, as of API keys. */
export const roleSchema = z.enum(['customer', 'analyst', 'release', 'admin']);

/**
 * A person as the API describes them (`POST /v1/sessions`, `GET /v1/sessions/current`, users' lists). In a file of
 * its own, on zod only, so that the web app takes its types from here.
 */
export const sessionUserSchema = z.object({
  id: z.string().uuid(),
  email: z.string(),
  displayName: z.string(),
  role: roleSchema,
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
  /** A staff session that reaches only the second factor's enrolment (and sign-out) until a code is confirmed. */
  totpEnrolmentRequired: z.literal(true).optional(),
});

export type CurrentSession = z.infer<typeof currentSessionSchema>;

/** A person in the lists of admins and organisation admins. */
export const listedUserSchema = sessionUserSchema.extend({
  disabled: z.boolean(),
  createdAt: z.string(),
});

export type ListedUser = z.infer<typeof listedUserSchema>;
