/** Where a signed-in person starts: the index route sends each role to its own first page (`homePathOf`). */
export const HOME_PATH = '/';

/**
 * The page to go back to after signing in, from the `next` parameter: a path of this app only, never another
 * origin (`//evil.example`, `/\evil.example`, `https://…`) and never the sign-in page itself.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return HOME_PATH;
  // control characters and backslashes let browsers read a path as another origin
  if ([...next].some((char) => char < ' ' || char === '\u007f' || char === '\\')) return HOME_PATH;
  if (next === '/sign-in' || next.startsWith('/sign-in?') || next.startsWith('/sign-in/')) return HOME_PATH;
  return next;
}

/** Where a person whose second factor is required but missing must go first. */
export const ACCOUNT_PATH = '/account';

/** Why the sign-in page is shown: the session ended under the person, a password was reset, an account was made. */
export type SignInReason = 'expired' | 'password-changed' | 'account-ready';

/** The sign-in page's address that comes back to `path` (and says why it is shown). */
export function signInPath(path: string, reason?: SignInReason): string {
  const next = safeNextPath(path);
  const query = new URLSearchParams();
  if (next !== HOME_PATH) query.set('next', next);
  if (reason) query.set('reason', reason);
  const search = query.toString();
  return search ? `/sign-in?${search}` : '/sign-in';
}
