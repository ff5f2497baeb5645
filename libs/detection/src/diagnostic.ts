/**
 * What the compiler or sigdesk's own checks say of rule text. In a file of its own, without imports, so that the web
 * app and the API's report types take it from here.
 */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /**
   * YARA-X's code (`E009`, `slow_pattern`, …) or one of ours: `duplicate_rule`, `unclosed_comment`,
   * `unbalanced_braces`, the structure limits' (`nesting_too_deep`, `too_many_patterns`, `condition_too_large`,
   * `hex_string_too_complex`, `source_too_large`), `engine_crashed` and `engine_timeout`
   */
  code: string;
  /** one line, human readable, without the ascii art */
  message: string;
  /** the full compiler text, its line numbers those of the source */
  detail: string;
  /** the RuleSource.name it falls in */
  source?: string;
  /** line within that source, 1-based */
  line?: number;
  column?: number;
}
