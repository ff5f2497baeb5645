export {
  CompiledRuleset,
  compileTimeoutFor,
  DEFAULT_ENGINE_MEMORY_BYTES,
  DEFAULT_MAX_MATCHES_PER_PATTERN,
  EXTERNAL_VARIABLES,
  scanVariables,
  type MatchedRule,
  type PatternMatch,
  type RulesetOptions,
  type ScanOptions,
  type ScanResult,
} from './compiled-ruleset';
export { decideDetection, type DetectionDecision } from './detection';
export { checkRuleStructure, DEFAULT_RULE_LIMITS, type RuleLimits } from './rule-limits';
export {
  combinedText,
  compileRuleset,
  openRuleset,
  type CompileOptions,
  type CompileOutcome,
  type Diagnostic,
  type RuleSource,
} from './ruleset';
export type { CompiledFile, EngineSource, SavedRules, ScanVariables, SourceUnit } from './engine-process';
export { DEFAULT_NAMESPACE, namespaceProblem, qualifiedRuleName } from './rule-units';
export { ScanEngineError, ScanInterruptedError, ScanTimeoutError } from './scan-errors';
export { readRuleText, type RuleDeclaration } from './rule-text';
export { EnginePool, type EnginePoolOptions } from './engine-pool';
export {
  loadYaraX,
  YARA_X_PATH,
  YARA_X_VERSION,
  type CompilerOptions,
  type RuleMatch,
  type YaraX,
  type YaraXBinding,
} from './yara-x';
export { profileUnits, type ProfileOptions, type UnitProfile } from './unit-profile';
