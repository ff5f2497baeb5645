/** Where the customer area starts. */
export const HOME_PATH = '/cases';

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

/** The sign-in page's address that comes back to `path`. */
export function signInPath(path: string): string {
  const next = safeNextPath(path);
  return next === HOME_PATH ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`;
}
