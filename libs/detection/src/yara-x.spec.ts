import { loadYaraX, YARA_X_VERSION } from './yara-x';

/**
 * What sigdesk relies on YARA-X not doing, and what it does: a test that fails when the binding changes, so that
 * the choice made for it is looked at again.
 */
describe(`YARA-X (binding ${YARA_X_VERSION})`, () => {
  // two rules with the same pattern: the first's condition fails on the file's first bytes before its pattern is
  // looked at (a PE check, on a file that is no PE), and the second, whose condition is the pattern alone, then
  // misses it (yara-x#762, #771, a regression of 1.20). So the verdicts of rules scanned apart do not add up to
  // those of the same rules built together, and proofs scan candidates whole (config.builds.deltaProofs is off).
  it('hides a pattern two rules share from the second when the first one fails first', () => {
    const yarax = loadYaraX();
    const guarded = 'rule Guarded { strings: $a = "/etc/" condition: uint16(0) == 0x5A4D and $a }';
    const plain = 'rule Plain { strings: $a = "/etc/" condition: $a }';
    const data = Buffer.from('#!/bin/sh\ncat /etc/hostname\n');
    const names = (source: string) =>
      yarax
        .compile(source)
        .scan(data)
        .map((m) => m.ruleIdentifier);
    expect(names(plain)).toEqual(['Plain']);
    expect(names(`${plain}\n${guarded}`)).toEqual(['Plain']);
    // the bug: once the binding's YARA-X is fixed, this is ['Plain'] and delta proofs may be turned on
    expect(names(`${guarded}\n${plain}`)).toEqual([]);
  });
});
