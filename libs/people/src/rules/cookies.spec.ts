import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from './cookies';

describe('session cookies', () => {
  it('reads one cookie among others', () => {
    expect(readCookie(`a=1; ${SESSION_COOKIE}=abc_-; b=2`, SESSION_COOKIE)).toBe('abc_-');
    expect(readCookie(`${SESSION_COOKIE}="quoted"`, SESSION_COOKIE)).toBe('quoted');
    expect(readCookie(['a=1', `${SESSION_COOKIE}=x`], SESSION_COOKIE)).toBe('x');
  });

  it('finds nothing in a missing or malformed header', () => {
    expect(readCookie(undefined, SESSION_COOKIE)).toBeUndefined();
    expect(readCookie('', SESSION_COOKIE)).toBeUndefined();
    expect(readCookie('garbage;;=;', SESSION_COOKIE)).toBeUndefined();
    expect(readCookie(`x${SESSION_COOKIE}=1`, SESSION_COOKIE)).toBeUndefined();
  });

  it('sets an httpOnly, SameSite=Lax cookie, Secure when asked', () => {
    const cookie = sessionCookie('v', { secure: true, maxAgeSeconds: 60.5 });
    expect(cookie).toBe(`${SESSION_COOKIE}=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure`);
    expect(sessionCookie('v', { secure: false, maxAgeSeconds: 1 })).not.toContain('Secure');
    expect(clearedSessionCookie({ secure: false })).toMatch(/^sigdesk_session=; .*Max-Age=0; Expires=Thu, 01 Jan 1970/);
  });
});
