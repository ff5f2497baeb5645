import { MAX_PASSWORD_LENGTH, passwordProblem } from './password-policy';

describe('passwordProblem', () => {
  const email = 'Ana.Lopez@example.com';

  it('accepts a passphrase of 12 characters or more', () => {
    expect(passwordProblem('correct horse battery', email)).toBeNull();
    expect(passwordProblem('abcdefghijkl', email)).toBeNull();
  });

  it('refuses fewer than 12 characters, counted as characters rather than bytes', () => {
    expect(passwordProblem('abcdefghijk', email)).toBe('password_too_short');
    expect(passwordProblem('🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒', email)).toBe('password_too_short');
    expect(passwordProblem('🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒', email)).toBeNull();
  });

  it('refuses the email address, or its local part, whatever the case', () => {
    expect(passwordProblem('ana.lopez@example.com', email)).toBe('password_is_email');
    expect(passwordProblem(' ANA.LOPEZ@EXAMPLE.COM ', email)).toBe('password_is_email');
    expect(passwordProblem('averylonglocalpart', 'AVeryLongLocalPart@example.com')).toBe('password_is_email');
  });

  it('refuses a password longer than the bound', () => {
    expect(passwordProblem('x'.repeat(MAX_PASSWORD_LENGTH + 1), email)).toBe('password_too_long');
    expect(passwordProblem('x'.repeat(MAX_PASSWORD_LENGTH), email)).toBeNull();
  });
});
