import { readRuleText, type Diagnostic } from '@sigdesk/detection';
import type { FlagReason, RuleReport } from './rule-pack-views';

// the report's types live with the API's views of an import (types only, which the web app reads)
export type { FileReport, FlagReason, PackSummary, RuleReport } from './rule-pack-views';

/** Warnings cost: YARA-X's slow-pattern and slow-loop warnings. */
const SLOW = /slow/i;

/** The rules a file declares, with the warnings and clean-corpus hits that fall on each. */
export function ruleReports(
  source: string,
  warnings: readonly Diagnostic[],
  hits: ReadonlyMap<string, string[]>,
): RuleReport[] {
  const declarations = readRuleText(source).declarations;
  const reports = declarations.map((d) => ({
    name: d.name,
    line: d.line,
    private: d.modifiers.includes('private'),
    cleanHits: hits.get(d.name)?.length ?? 0,
    cleanFiles: (hits.get(d.name) ?? []).slice(0, 10),
    warnings: [] as string[],
    flagged: [] as FlagReason[],
  }));
  for (const warning of warnings) {
    if (warning.line === undefined) continue;
    // the rule a warning falls in: the last declared at or before its line
    const at = reports.filter((r) => r.line <= warning.line!).at(-1);
    if (at) at.warnings.push(warning.message);
  }
  for (const report of reports) {
    if (report.cleanHits > 0) report.flagged.push('clean_corpus_hits');
    if (report.warnings.some((w) => SLOW.test(w))) report.flagged.push('slow');
  }
  return reports;
}

/**
 * The file without the given rules as detections: each is made `private`, so that it matches nothing of its own
 * while the file's other rules that use it (a pack's helper rules, `is_pe` say) still work. Its text is kept.
 */
export function withoutDetections(source: string, names: ReadonlySet<string>): string {
  if (names.size === 0) return source;
  const inserts = readRuleText(source)
    .declarations.filter((d) => names.has(d.name) && !d.modifiers.includes('private'))
    .map((d) => d.keywordAt);
  let result = source;
  for (const at of inserts.reverse()) result = `${result.slice(0, at)}private ${result.slice(at)}`;
  return result;
}
