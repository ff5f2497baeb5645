import { runInNewContext } from 'node:vm';
import { ENGINE_SCRIPT } from './engine-script';
import type { EngineReport, SourceUnit } from './engine-process';
import { loadYaraX } from './yara-x';

type PlaceWarnings = (units: SourceUnit[], warnings: EngineReport[], options: object) => EngineReport[];

/**
 * The engine script's placeWarnings, run here on its own (the script as a whole starts a process's work), with
 * validateUnits replaced to see whether it was needed.
 */
function placeWarningsOf(validated: SourceUnit[][]): PlaceWarnings {
  const from = ENGINE_SCRIPT.indexOf('function placeWarnings(');
  // placeWarnings and snippetOf, up to the next part of the script
  const to = ENGINE_SCRIPT.indexOf("\n// YARA-X's time limit", from);
  const validateUnits = (units: SourceUnit[]) => {
    validated.push(units);
    return { errors: [], warnings: [{ code: 'validated', message: '', unit: 0 }] };
  };
  return runInNewContext(`${ENGINE_SCRIPT.slice(from, to)}; placeWarnings`, { validateUnits }) as PlaceWarnings;
}

/** The warnings YARA-X gives for the units built together, as the engine reads them. */
function warningsOf(units: SourceUnit[]): EngineReport[] {
  const rules = loadYaraX().compile('', {}) as unknown as {
    addRuleSources(units: SourceUnit[]): void;
    getWarnings(): EngineReport[];
  };
  rules.addRuleSources(units);
  return rules.getWarnings().map(({ code, message }) => ({ code, message }));
}

describe('placeWarnings (engine script)', () => {
  it('places each warning in its unit by its lines, the same text told apart by the order', () => {
    const validated: SourceUnit[][] = [];
    const units = [
      { namespace: 'default', source: '\nrule A { condition: true }' },
      {
        namespace: 'x',
        source: '\n\nrule B {\n\tstrings:\n\t\t$h = { 01 }\n\tcondition: $h }\nrule C { condition: true }',
      },
      { namespace: 'y', source: '\nrule A { condition: true }' },
    ];

    const placed = placeWarningsOf(validated)(units, warningsOf(units), {});

    expect(placed.map((w) => [w.code, w.unit])).toEqual([
      ['invariant_expr', 0],
      ['slow_pattern', 1],
      ['invariant_expr', 1],
      ['invariant_expr', 2],
    ]);
    expect(validated).toEqual([]);
  });

  it('validates the units one by one when a warning fits two of them', () => {
    const validated: SourceUnit[][] = [];
    const unit = '\nrule A { strings: $h = { 01 } condition: $h }';
    const units = [
      { namespace: 'x', source: unit },
      { namespace: 'y', source: unit },
    ];

    const placed = placeWarningsOf(validated)(units, warningsOf(units), {});

    expect(placed.map((w) => w.code)).toEqual(['validated']);
    expect(validated).toEqual([units]);
  });

  it('validates the units one by one when a warning fits none (no lines shown)', () => {
    const validated: SourceUnit[][] = [];
    const units = [{ namespace: 'x', source: '\nrule A { condition: true }' }];

    placeWarningsOf(validated)(units, [{ code: 'odd', message: 'warning[odd]: without a place' }], {});

    expect(validated).toEqual([units]);
  });
});
