export {
  CompiledRuleset,
  DEFAULT_MAX_MATCHES_PER_PATTERN,
  type MatchedRule,
  type PatternMatch,
  type RulesetOptions,
  type ScanOptions,
  type ScanResult,
} from './compiled-ruleset';
export { decideDetection, type DetectionDecision } from './detection';
export { compileRuleset, type CompileOutcome, type Diagnostic, type RuleSource } from './ruleset';
export { ScanEngineError, ScanTimeoutError } from './scan-errors';
export { readRuleText, type RuleDeclaration } from './rule-text';
