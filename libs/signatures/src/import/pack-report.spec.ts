import { withoutDetections } from './pack-report';

describe(withoutDetections.name, () => {
  const source = [
    '// rule Helper is made private below, not in this comment',
    'rule Helper { strings: $a = "rule Detect in a string" condition: $a }',
    'global rule Gate { condition: filesize < 10MB }',
    'private rule Already { condition: true }',
    'rule Detect { condition: Helper and Already }',
  ].join('\n');

  it('makes the named rules private where they are declared, and leaves the rest of the text as it is', () => {
    expect(withoutDetections(source, new Set(['Helper', 'Gate', 'Already']))).toBe(
      [
        '// rule Helper is made private below, not in this comment',
        'private rule Helper { strings: $a = "rule Detect in a string" condition: $a }',
        'global private rule Gate { condition: filesize < 10MB }',
        'private rule Already { condition: true }',
        'rule Detect { condition: Helper and Already }',
      ].join('\n'),
    );
  });

  it('gives back the text itself when no rule is named', () => {
    expect(withoutDetections(source, new Set())).toBe(source);
    expect(withoutDetections(source, new Set(['Missing']))).toBe(source);
  });
});
