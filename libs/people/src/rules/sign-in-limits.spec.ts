import { ACCOUNT_FAILURES_ALLOWED, SIGN_IN_WINDOW_MS, signInRetryAfterSeconds } from './sign-in-limits';

describe('signInRetryAfterSeconds', () => {
  const now = new Date('2026-11-30T12:00:00Z');

  it('lets a subject under the limit try now', () => {
    expect(signInRetryAfterSeconds({ count: 0, oldest: null }, ACCOUNT_FAILURES_ALLOWED, now)).toBe(0);
    expect(
      signInRetryAfterSeconds({ count: ACCOUNT_FAILURES_ALLOWED - 1, oldest: now }, ACCOUNT_FAILURES_ALLOWED, now),
    ).toBe(0);
  });

  it('asks a subject at the limit to wait until its oldest failure leaves the window', () => {
    const oldest = new Date(now.getTime() - 5 * 60_000);
    expect(signInRetryAfterSeconds({ count: ACCOUNT_FAILURES_ALLOWED, oldest }, ACCOUNT_FAILURES_ALLOWED, now)).toBe(
      (SIGN_IN_WINDOW_MS - 5 * 60_000) / 1000,
    );
  });

  it('never answers less than a second while limited', () => {
    const oldest = new Date(now.getTime() - SIGN_IN_WINDOW_MS + 10);
    expect(signInRetryAfterSeconds({ count: 99, oldest }, ACCOUNT_FAILURES_ALLOWED, now)).toBe(1);
  });
});
