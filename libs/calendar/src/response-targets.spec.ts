import {
  DEFAULT_RESPONSE_TARGETS,
  parseResponseTargets,
  responseTargetHours,
  Severity,
  Tier,
} from './response-targets';

describe(parseResponseTargets.name, () => {
  it('keeps the contractual 6 working hours for MSA Start severity 1 by default', () => {
    expect(DEFAULT_RESPONSE_TARGETS).toEqual({
      msa_start: { 1: 6, 2: 12, 3: 24, 4: 40 },
      standard: { 1: 12, 2: 24, 3: 40, 4: 80 },
    });
  });

  it('returns the defaults when there is no override', () => {
    expect(parseResponseTargets(undefined)).toEqual(DEFAULT_RESPONSE_TARGETS);
    expect(parseResponseTargets('  ')).toEqual(DEFAULT_RESPONSE_TARGETS);
    expect(parseResponseTargets('{}')).toEqual(DEFAULT_RESPONSE_TARGETS);
  });

  it('merges a partial override over the defaults', () => {
    expect(parseResponseTargets('{"standard":{"1":8},"msa_start":{"4":36.5}}')).toEqual({
      msa_start: { 1: 6, 2: 12, 3: 24, 4: 36.5 },
      standard: { 1: 8, 2: 24, 3: 40, 4: 80 },
    });
  });

  it('leaves the shared defaults untouched, and they cannot be changed by accident', () => {
    const targets = parseResponseTargets('{"standard":{"1":8}}');
    targets.msa_start[1] = 99;
    expect(DEFAULT_RESPONSE_TARGETS.standard[1]).toBe(12);
    expect(DEFAULT_RESPONSE_TARGETS.msa_start[1]).toBe(6);
    expect(Object.isFrozen(DEFAULT_RESPONSE_TARGETS.msa_start)).toBe(true);
  });

  it('refuses text that is not JSON or not an object', () => {
    expect(() => parseResponseTargets('{standard:1}')).toThrow(/not valid JSON/);
    expect(() => parseResponseTargets('[]')).toThrow(/must be a JSON object/);
    expect(() => parseResponseTargets('8')).toThrow(/must be a JSON object/);
    expect(() => parseResponseTargets('{"standard":8}')).toThrow(/tier 'standard' must be an object/);
  });

  it('refuses an unknown tier or severity', () => {
    expect(() => parseResponseTargets('{"premium":{"1":4}}')).toThrow(/Unknown tier 'premium'/);
    expect(() => parseResponseTargets('{"standard":{"5":4}}')).toThrow(/Unknown severity '5'/);
    expect(() => parseResponseTargets('{"standard":{"01":4}}')).toThrow(/Unknown severity '01'/);
    expect(() => parseResponseTargets('{"standard":{"high":4}}')).toThrow(/Unknown severity 'high'/);
  });

  it('refuses hours that are not a positive finite number', () => {
    for (const hours of ['0', '-2', '"8"', 'null', '1e999']) {
      expect(() => parseResponseTargets(`{"msa_start":{"1":${hours}}}`)).toThrow(/positive number of working hours/);
    }
  });
});

describe(responseTargetHours.name, () => {
  it('looks up the target of a tier and severity', () => {
    expect(responseTargetHours(DEFAULT_RESPONSE_TARGETS, 'msa_start', 1)).toBe(6);
    expect(responseTargetHours(parseResponseTargets('{"standard":{"3":30}}'), 'standard', 3)).toBe(30);
  });

  it('refuses a tier or severity that slipped past the types', () => {
    expect(() => responseTargetHours(DEFAULT_RESPONSE_TARGETS, 'gold' as Tier, 1)).toThrow(/Unknown tier/);
    expect(() => responseTargetHours(DEFAULT_RESPONSE_TARGETS, 'standard', 5 as Severity)).toThrow(/Unknown severity/);
  });
});
