import {
  base32Decode,
  base32Encode,
  generateTotpSecret,
  matchTotp,
  otpauthUri,
  totpCode,
  totpStep,
  TOTP_STEP_SECONDS,
} from './totp';

// RFC 6238 appendix B: the SHA-1 key is the ASCII of "12345678901234567890"
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890', 'ascii'));
const at = (seconds: number) => new Date(seconds * 1000);

describe('TOTP (RFC 6238)', () => {
  it('gives the RFC test vectors', () => {
    expect(totpCode(RFC_SECRET, totpStep(at(59)), 8)).toBe('94287082');
    expect(totpCode(RFC_SECRET, totpStep(at(1111111109)), 8)).toBe('07081804');
    expect(totpCode(RFC_SECRET, totpStep(at(1234567890)), 8)).toBe('89005924');
    expect(totpCode(RFC_SECRET, totpStep(at(20000000000)), 8)).toBe('65353130');
    expect(totpCode(RFC_SECRET, totpStep(at(1234567890)))).toBe('005924');
  });

  it('round-trips base32', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Decode('MZXW6YTBOI').toString()).toBe('foobar');
    expect(base32Decode('mzxw6ytboi======').toString()).toBe('foobar');
    expect(() => base32Decode('MZXW1')).toThrow();
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
  });

  it('accepts the code of the current step and of one step on either side, no further', () => {
    const now = at(1_700_000_000);
    const step = totpStep(now);
    const secret = generateTotpSecret();
    expect(matchTotp(secret, totpCode(secret, step), now, null)).toBe(step);
    expect(matchTotp(secret, totpCode(secret, step - 1), now, null)).toBe(step - 1);
    expect(matchTotp(secret, totpCode(secret, step + 1), now, null)).toBe(step + 1);
    const far = [step - 2, step + 2].map((s) => totpCode(secret, s));
    for (const code of far.filter((c) => ![step - 1, step, step + 1].some((s) => totpCode(secret, s) === c))) {
      expect(matchTotp(secret, code, now, null)).toBeNull();
    }
  });

  it('never accepts a code twice, nor an older one after a newer', () => {
    const now = at(1_700_000_000);
    const step = totpStep(now);
    const secret = generateTotpSecret();
    expect(matchTotp(secret, totpCode(secret, step), now, step)).toBeNull();
    expect(matchTotp(secret, totpCode(secret, step - 1), now, step)).toBeNull();
    expect(matchTotp(secret, totpCode(secret, step + 1), now, step)).toBe(step + 1);
    // half a minute later the same code is still inside the window, and still refused
    expect(matchTotp(secret, totpCode(secret, step), at(1_700_000_000 + TOTP_STEP_SECONDS), step)).toBeNull();
  });

  it('refuses what is not six digits', () => {
    const secret = generateTotpSecret();
    for (const code of ['', '12345', '1234567', 'abcdef', ' 123456', '12345a']) {
      expect(matchTotp(secret, code, new Date(), null)).toBeNull();
    }
  });

  it('writes an otpauth URI that authenticator apps read', () => {
    const text = otpauthUri({ secret: 'JBSWY3DPEHPK3PXP', account: 'ana@example.com', issuer: 'sigdesk' });
    expect(text).toMatch(/^otpauth:\/\/totp\/sigdesk:ana%40example\.com\?/);
    const uri = new URL(text);
    expect(uri.searchParams.get('secret')).toBe('JBSWY3DPEHPK3PXP');
    expect(uri.searchParams.get('issuer')).toBe('sigdesk');
    expect(uri.searchParams.get('period')).toBe('30');
  });
});
