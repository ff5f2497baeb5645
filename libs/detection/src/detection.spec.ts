import { createHash } from 'node:crypto';
import type { MatchedRule, ScanResult } from './compiled-ruleset';
import { decideDetection } from './detection';
import { compileRuleset } from './ruleset';

const EICAR = String.raw`X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`;
const EICAR_RULE = {
  name: 'eicar.yar',
  source: `rule EICAR_Test_File { strings: $eicar = "${EICAR.replace(/\\/g, '\\\\')}" condition: $eicar }`,
};

const SHA = 'a'.repeat(64);
const OTHER_SHA = 'b'.repeat(64);

const matchedRule = (overrides: Partial<MatchedRule> = {}): MatchedRule => ({
  rule: 'Trojan_Generic',
  tags: [],
  meta: {},
  patterns: [{ identifier: '$a', offset: 0, length: 4 }],
  ...overrides,
});
const scanResult = (...matches: MatchedRule[]): ScanResult => ({ matches, millis: 1, cpuMillis: 1 });

describe(decideDetection.name, () => {
  it('detects a file that an enabled rule matches and that is not allow-listed', () => {
    expect(decideDetection(SHA, scanResult(matchedRule()), new Set([OTHER_SHA]))).toEqual({
      detected: true,
      allowlisted: false,
      rules: ['Trojan_Generic'],
    });
  });

  it('does not detect an allow-listed file, but still names the rules that matched it', () => {
    expect(decideDetection(SHA, scanResult(matchedRule()), new Set([SHA]))).toEqual({
      detected: false,
      allowlisted: true,
      rules: ['Trojan_Generic'],
    });
  });

  it('does not detect a file that no rule matches', () => {
    expect(decideDetection(SHA, scanResult(), new Set())).toEqual({ detected: false, allowlisted: false, rules: [] });
  });

  it('ignores matches of rules outside the enabled set', () => {
    const result = scanResult(matchedRule({ rule: 'Disabled' }), matchedRule({ rule: 'Enabled' }));

    expect(decideDetection(SHA, result, new Set(), new Set(['Enabled']))).toMatchObject({
      detected: true,
      rules: ['Enabled'],
    });
    expect(decideDetection(SHA, result, new Set(), new Set(['Other']))).toMatchObject({ detected: false, rules: [] });
  });

  it('compares the SHA-256 with the allow-list whatever its case', () => {
    expect(decideDetection('A'.repeat(64), scanResult(matchedRule()), new Set([SHA])).allowlisted).toBe(true);
  });

  it('refuses a value that is not a SHA-256', () => {
    expect(() => decideDetection('abc', scanResult(), new Set())).toThrow(RangeError);
  });

  it('turns a real scan of the EICAR test file into a detection unless its SHA-256 is allow-listed', async () => {
    const { ruleset } = await compileRuleset([EICAR_RULE]);
    const sample = Buffer.from(EICAR);
    const sha256 = createHash('sha256').update(sample).digest('hex');
    try {
      const result = await ruleset!.scanBuffer(sample);

      expect(decideDetection(sha256, result, new Set())).toEqual({
        detected: true,
        allowlisted: false,
        rules: ['EICAR_Test_File'],
      });
      expect(decideDetection(sha256, result, new Set([sha256]))).toMatchObject({ detected: false, allowlisted: true });
    } finally {
      await ruleset?.close();
    }
  });
});
