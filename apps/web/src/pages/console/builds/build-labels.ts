import type { BuildView } from '../../../api/builds';
import { translationKey, type TranslationKey } from '../../../i18n';

export const BUILD_STATUS_LABELS: Record<BuildView['status'], TranslationKey> = {
  building: translationKey('builds.status.building'),
  stored: translationKey('builds.status.stored'),
  failed: translationKey('builds.status.failed'),
  published: translationKey('builds.status.published'),
};

export const BUILD_STATUS_COLORS: Record<BuildView['status'], string> = {
  building: 'blue',
  stored: 'navy',
  failed: 'red',
  published: 'teal',
};

export const BUILD_KIND_LABELS: Record<BuildView['kind'], TranslationKey> = {
  expedited: translationKey('builds.kind.expedited'),
  scheduled: translationKey('builds.kind.scheduled'),
};

/** The proof's checks, by the names the API gives them. */
export const GATE_LABELS: Record<string, TranslationKey> = {
  compiles: translationKey('builds.gate.compiles'),
  no_new_warnings: translationKey('builds.gate.no_new_warnings'),
  fixes_case: translationKey('builds.gate.fixes_case'),
  clean_corpus: translationKey('builds.gate.clean_corpus'),
  regression: translationKey('builds.gate.regression'),
  scan_time_budget: translationKey('builds.gate.scan_time_budget'),
  engine: translationKey('builds.gate.engine'),
};

/** The stages a build goes through, as the API names them. */
export const STAGE_LABELS: Record<string, TranslationKey> = {
  queued: translationKey('builds.stage.queued'),
  retrying: translationKey('builds.stage.retrying'),
  content: translationKey('builds.stage.content'),
  compiling: translationKey('builds.stage.compiling'),
  'case samples': translationKey('builds.stage.caseSamples'),
  'clean corpus': translationKey('builds.stage.cleanCorpus'),
  regression: translationKey('builds.stage.regression'),
  artifact: translationKey('builds.stage.artifact'),
  store: translationKey('builds.stage.store'),
  stored: translationKey('builds.stage.stored'),
  failed: translationKey('builds.stage.failed'),
};
