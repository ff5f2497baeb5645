import type { RuleSource } from '@sigdesk/detection';
import type { SignatureChange } from '@sigdesk/db';

export interface SignatureContent {
  sources: RuleSource[];
  allowlist: Set<string>;
}

/**
 * The signature content with one change applied, as a build would apply it: a new rule added; an allow-list
 * entry added; a rule disabled (removed from the compiled set); or a rule replaced by another.
 */
export function applyChange(
  base: SignatureContent,
  change: Pick<SignatureChange, 'type' | 'rule_name' | 'rule_source' | 'sha256' | 'target_rule'>,
): SignatureContent {
  const allowlist = new Set(base.allowlist);
  let sources = base.sources;
  if (change.type === 'add_detection') {
    sources = [...sources, { name: change.rule_name!, source: change.rule_source! }];
  } else {
    if (change.sha256) allowlist.add(change.sha256);
    if (change.target_rule) {
      sources = sources.filter((s) => s.name !== change.target_rule);
      if (change.rule_source) sources = [...sources, { name: change.rule_name!, source: change.rule_source }];
    }
  }
  return { sources, allowlist };
}
