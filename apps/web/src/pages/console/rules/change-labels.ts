import type { ChangeStatus, CheckName, DiffEntry } from '../../../api/signature-changes';
import { translationKey, type TranslationKey } from '../../../i18n';

export const CHANGE_STATUS_LABELS: Record<ChangeStatus, TranslationKey> = {
  validating: translationKey('rules.status.validating'),
  validation_failed: translationKey('rules.status.validation_failed'),
  validated: translationKey('rules.status.validated'),
  approved: translationKey('rules.status.approved'),
  rejected: translationKey('rules.status.rejected'),
  built: translationKey('rules.status.built'),
};

export const CHANGE_STATUS_COLORS: Record<ChangeStatus, string> = {
  validating: 'blue',
  validation_failed: 'red',
  validated: 'teal',
  approved: 'green',
  rejected: 'red',
  built: 'green',
};

export const CHECK_LABELS: Record<CheckName, TranslationKey> = {
  compiles: translationKey('rules.report.check.compiles'),
  no_new_warnings: translationKey('rules.report.check.no_new_warnings'),
  fixes_case: translationKey('rules.report.check.fixes_case'),
  clean_corpus: translationKey('rules.report.check.clean_corpus'),
  regression: translationKey('rules.report.check.regression'),
  scan_time_budget: translationKey('rules.report.check.scan_time_budget'),
  engine: translationKey('rules.report.check.engine'),
};

export const COLLECTION_LABELS: Record<DiffEntry['collection'], TranslationKey> = {
  case: translationKey('rules.report.collection.case'),
  clean_corpus: translationKey('rules.report.collection.clean_corpus'),
  regression: translationKey('rules.report.collection.regression'),
};

/** The stages a validation reports as it goes (libs/signatures/src/proof/content-prover.ts), in order. */
export const STAGES = ['compiling', 'case samples', 'clean corpus', 'regression'] as const;

export const STAGE_LABELS: Record<(typeof STAGES)[number], TranslationKey> = {
  compiling: translationKey('rules.progress.stage.compiling'),
  'case samples': translationKey('rules.progress.stage.caseSamples'),
  'clean corpus': translationKey('rules.progress.stage.cleanCorpus'),
  regression: translationKey('rules.progress.stage.regression'),
};
