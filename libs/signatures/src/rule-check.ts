import { compileRuleset, readRuleText, type Diagnostic, type EnginePool } from '@sigdesk/detection';

/** What a change's rule is checked against: the case it fixes and the rules of the content it goes into. */
export interface RuleCheckContext {
  /** the case reference its meta must carry (`case = "SD-…"`) */
  reference: string;
  /** whether the content the change goes into has a rule of this name already, or an open change adds one */
  ruleNamed(name: string): boolean | Promise<boolean>;
  /** the rule a `suppress_detection` change replaces: the new rule may keep its name */
  replaces?: string;
  /** engine processes started ahead (each compiles this one rule and goes): without it, one is started now */
  engines?: EnginePool;
}

export interface RuleCheck {
  ok: boolean;
  /** the rule the source declares, when it declares exactly one */
  ruleName: string | null;
  /**
   * In the order a proposal is refused by (the first is why): `rule_modifier_refused`, the compiler's,
   * `one_rule_per_change`, `rule_meta_missing_case`, `rule_name_taken`. Each has a line and column where it has a
   * place in the source.
   */
  errors: Diagnostic[];
  warnings: Diagnostic[];
  millis: number;
}

/** The name diagnostics of a change's rule carry, as the compiler's do. */
const SOURCE = 'rule';

/**
 * Every check a change's rule goes through before it is proposed, as diagnostics rather than a refusal: the rule
 * editor shows them while the analyst types (`POST /v1/signature-changes/check`), and a proposal is refused with the
 * first (SignatureChangesService.propose), so what the check passes a proposal takes. The rule compiles alone, in
 * the engine's own process after the structure limits (a hostile rule stops nothing but that process); it declares
 * exactly one rule, neither global nor private, that carries the case reference and takes no name in use.
 */
export async function checkChangeRule(source: string, context: RuleCheckContext): Promise<RuleCheck> {
  const started = performance.now();
  const declared = readRuleText(source).declarations;
  const errors: Diagnostic[] = [];
  for (const modified of declared.filter((d) => d.modifiers.length > 0)) {
    errors.push({
      severity: 'error',
      code: 'rule_modifier_refused',
      message: `rule ${modified.name} is ${modified.modifiers.join(' ')}`,
      detail:
        `Rule ${modified.name} is ${modified.modifiers.join(' ')}: a global rule would switch off every other rule ` +
        'it does not match, and a private rule reports nothing. A change carries one plain rule.',
      source: SOURCE,
      line: modified.line,
      column: modified.column,
    });
  }

  const compiled = await compileRuleset([{ name: SOURCE, source }], { engines: context.engines });
  // only checked, never scanned with: its engine process goes at once
  await compiled.ruleset?.close();
  errors.push(...compiled.errors);

  const ruleName = compiled.ruleNames.length === 1 ? compiled.ruleNames[0] : null;
  if (compiled.ruleNames.length !== 1) {
    errors.push({
      severity: 'error',
      code: 'one_rule_per_change',
      message: `a change carries exactly one rule; this source declares ${compiled.ruleNames.length}`,
      detail: `A change carries exactly one rule; this source declares ${compiled.ruleNames.length}.`,
      source: SOURCE,
      ...place(declared[1] ?? declared[0]),
    });
  }
  const declaration = declared.find((d) => d.name === ruleName);
  if (!new RegExp(`\\bcase\\s*=\\s*"${escapeRegExp(context.reference)}"`).test(source)) {
    errors.push({
      severity: 'error',
      code: 'rule_meta_missing_case',
      message: `the rule's meta must carry the case reference: case = "${context.reference}"`,
      detail: `The rule's meta must carry the case reference: case = "${context.reference}".`,
      source: SOURCE,
      ...place(declaration),
    });
  }
  if (ruleName !== null && ruleName !== context.replaces && (await context.ruleNamed(ruleName))) {
    errors.push({
      severity: 'error',
      code: 'rule_name_taken',
      message: `a rule named ${ruleName} exists already`,
      detail: `A rule named ${ruleName} exists already, or another open change adds it.`,
      source: SOURCE,
      ...place(declaration),
    });
  }
  return {
    ok: errors.length === 0,
    ruleName,
    errors,
    warnings: compiled.warnings,
    millis: performance.now() - started,
  };
}

function place(at: { line: number; column: number } | undefined): { line?: number; column?: number } {
  return at ? { line: at.line, column: at.column } : {};
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
