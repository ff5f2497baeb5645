import type { FlagReason, ReplacedPack, RulePackImportStatus, RulePackImportView } from '../../../api/rule-packs';
import { translationKey, type TranslationKey } from '../../../i18n';

export const IMPORT_STATUS_LABELS: Record<RulePackImportStatus, TranslationKey> = {
  analysing: translationKey('rulePacks.status.analysing'),
  analysed: translationKey('rulePacks.status.analysed'),
  failed: translationKey('rulePacks.status.failed'),
  accepted: translationKey('rulePacks.status.accepted'),
};

export const IMPORT_STATUS_COLORS: Record<RulePackImportStatus, string> = {
  analysing: 'blue',
  analysed: 'navy',
  failed: 'red',
  accepted: 'teal',
};

export const FORMAT_LABELS: Record<RulePackImportView['format'], TranslationKey> = {
  yara: translationKey('rulePacks.format.yara'),
  zip: translationKey('rulePacks.format.zip'),
  'tar.gz': translationKey('rulePacks.format.targz'),
};

export const FLAG_LABELS: Record<FlagReason, TranslationKey> = {
  clean_corpus_hits: translationKey('rulePacks.flag.clean_corpus_hits'),
  slow: translationKey('rulePacks.flag.slow'),
};

/** Why accepting an import takes a file of the pack's last version out of the database. */
export const REMOVAL_LABELS: Record<ReplacedPack['removed'][number]['reason'], TranslationKey> = {
  not_in_import: translationKey('rulePacks.replaces.not_in_import'),
  does_not_compile: translationKey('rulePacks.replaces.does_not_compile'),
};

/** The analysis's stages, as the API names them. */
export const STAGE_LABELS: Record<string, TranslationKey> = {
  profiling: translationKey('rulePacks.stage.profiling'),
  'clean corpus': translationKey('rulePacks.stage.cleanCorpus'),
};

/** How often a page reads an import again while it is analysed (no live event covers imports). */
export const ANALYSING_REFRESH_MS = 2_000;
