import { generateToken, hashToken, isTokenShaped, redactTokenInPath, sameSecret } from './tokens';

describe('one-time tokens', () => {
  it('makes 256-bit base64url tokens that differ every time', () => {
    const tokens = new Set(Array.from({ length: 50 }, generateToken));
    expect(tokens.size).toBe(50);
    for (const token of tokens) {
      expect(isTokenShaped(token)).toBe(true);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
  });

  it('stores the SHA-256 of a token, never the token', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const token = generateToken();
    expect(hashToken(token)).not.toContain(token);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses what is not shaped like a token before any lookup', () => {
    expect(isTokenShaped('')).toBe(false);
    expect(isTokenShaped('a'.repeat(42))).toBe(false);
    expect(isTokenShaped('a'.repeat(44))).toBe(false);
    expect(isTokenShaped(`${'a'.repeat(42)}=`)).toBe(false);
    expect(isTokenShaped(`${'a'.repeat(42)}/`)).toBe(false);
  });

  it('compares secrets whatever their lengths', () => {
    expect(sameSecret('secret', 'secret')).toBe(true);
    expect(sameSecret('secret', 'secreT')).toBe(false);
    expect(sameSecret('secret', 'secret-longer')).toBe(false);
    expect(sameSecret('', 'secret')).toBe(false);
  });

  it('keeps one-time tokens out of logged paths', () => {
    const token = generateToken();
    expect(redactTokenInPath(`/v1/invitations/${token}/accept`)).toBe('/v1/invitations/[redacted]/accept');
    expect(redactTokenInPath(`/v1/password-resets/${token}?x=1`)).toBe('/v1/password-resets/[redacted]?x=1');
    expect(redactTokenInPath('/v1/password-resets')).toBe('/v1/password-resets');
    expect(redactTokenInPath('/v1/submissions/abc')).toBe('/v1/submissions/abc');
  });
});
