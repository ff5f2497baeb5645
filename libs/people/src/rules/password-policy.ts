/** The shortest password accepted: long passphrases beat composition rules (NIST SP 800-63B). */
export const MIN_PASSWORD_LENGTH = 12;
/** Argon2 hashes whatever it is given; past this a password is a denial of service, not a secret. */
export const MAX_PASSWORD_LENGTH = 256;

export type PasswordProblem = 'password_too_short' | 'password_too_long' | 'password_is_email';

/** What is wrong with a password for the account of `email`, or null when it is acceptable. */
export function passwordProblem(password: string, email: string): PasswordProblem | null {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return 'password_too_short';
  if (length > MAX_PASSWORD_LENGTH) return 'password_too_long';
  const normalized = password.trim().toLowerCase();
  const address = email.trim().toLowerCase();
  if (normalized === address || normalized === address.split('@')[0]) return 'password_is_email';
  return null;
}

export const PASSWORD_PROBLEM_MESSAGES: Record<PasswordProblem, string> = {
  password_too_short: `The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`,
  password_too_long: `The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`,
  password_is_email: 'The password must not be the email address.',
};
