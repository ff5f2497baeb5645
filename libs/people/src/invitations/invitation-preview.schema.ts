import { z } from 'zod';
import { roleSchema } from '../session-user.schema';

/**
 * `GET /v1/invitations/:token`: what the invited person needs to see before choosing a password, and nothing else
 * (not who invited them, nor any id). On zod only, so that the web app takes its types from here.
 */
export const invitationPreviewSchema = z.object({
  email: z.string(),
  displayName: z.string(),
  role: roleSchema,
  organizationName: z.string().nullable().describe("the customer's organisation; null for the vendor's staff"),
  organizationAdmin: z.boolean(),
  expiresAt: z.string().describe('ISO 8601: the link works until then, once'),
});

export type InvitationPreview = z.infer<typeof invitationPreviewSchema>;

/** Why a link that exists no longer works: `410` with one of these codes (an unknown link is a `404`). */
export const INVITATION_GONE_CODES = ['invitation_expired', 'invitation_used'] as const;
export type InvitationGoneCode = (typeof INVITATION_GONE_CODES)[number];
