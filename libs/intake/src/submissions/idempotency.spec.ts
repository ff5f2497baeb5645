import { parseIdempotencyKey, submissionFingerprint } from './idempotency';

describe(submissionFingerprint.name, () => {
  const files = [{ sha256: 'a'.repeat(64), fileName: 'x.exe' }];

  it('is the same whatever the order the fields arrived in', () => {
    expect(submissionFingerprint({ kind: 'false_negative', severity: '1' }, files)).toBe(
      submissionFingerprint({ severity: '1', kind: 'false_negative' }, files),
    );
  });

  it('changes when a field value changes', () => {
    expect(submissionFingerprint({ severity: '1' }, files)).not.toBe(submissionFingerprint({ severity: '2' }, files));
  });

  it('changes when a file changes', () => {
    expect(submissionFingerprint({}, files)).not.toBe(
      submissionFingerprint({}, [{ sha256: 'b'.repeat(64), fileName: 'x.exe' }]),
    );
  });

  it('does not confuse a field value with a field name', () => {
    expect(submissionFingerprint({ a: 'b,c' }, [])).not.toBe(submissionFingerprint({ 'a,b': 'c' }, []));
  });
});

describe(parseIdempotencyKey.name, () => {
  it('accepts printable keys and refuses control characters and empty keys', () => {
    expect(parseIdempotencyKey('order-42')).toBe('order-42');
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(() => parseIdempotencyKey('')).toThrow();
    expect(() => parseIdempotencyKey('a\tb')).toThrow();
  });
});
