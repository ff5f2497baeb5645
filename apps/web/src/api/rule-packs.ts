import {
  leftOutUnlessAll,
  type CreatedRulePackImport,
  type FileReport,
  type FlagReason,
  type PackSummary,
  type ReplacedPack,
  type RulePackFileView,
  type RulePackImportDetail,
  type RulePackImportStatus,
  type RulePackImportView,
  type RuleReport,
  type SkippedEntry,
} from '../../../../libs/signatures/src/import/rule-pack-views';
import { api, type ApiClient } from './client';
import { uploadForm, type Upload, type UploadProgress } from './form-upload';
import type { SignatureChange } from './signature-changes';

export type {
  CreatedRulePackImport,
  FileReport,
  FlagReason,
  PackSummary,
  ReplacedPack,
  RulePackFileView,
  RulePackImportDetail,
  RulePackImportStatus,
  RulePackImportView,
  RuleReport,
  SkippedEntry,
};

/**
 * Rule pack imports (admins): a lab's YARA rules uploaded as a pack, analysed by a job (each file compiled in its
 * namespace, profiled, scanned over the clean corpus), then accepted as one `import_rules` signature change.
 */

/** What an admin accepts of an analysed pack: every rule, or all but the flagged ones. */
export type AcceptedRules = 'all' | 'unflagged';

/** Every query of imports starts with this key. */
export const rulePacksQueryKey = ['rule-packs'] as const;
export const rulePackQueryKey = (id: string) => [...rulePacksQueryKey, 'detail', id] as const;

/** `GET /v1/admin/rulesets/imports`: the latest imports, newest first. */
export function fetchRulePackImports(client: ApiClient = api): Promise<{ items: RulePackImportView[] }> {
  return client.get('/v1/admin/rulesets/imports');
}

/** `GET /v1/admin/rulesets/imports/:id`: the import, its analysis's progress, then its report. */
export function fetchRulePackImport(id: string, client: ApiClient = api): Promise<RulePackImportDetail> {
  return client.get(`/v1/admin/rulesets/imports/${encodeURIComponent(id)}`);
}

/**
 * The upload's body: the channel and the pack's name first, so that the API refuses a wrong one before it reads the
 * pack. No name: the API names the pack after its file.
 */
export function rulePackForm(pack: File, channel: string, packName = ''): FormData {
  const form = new FormData();
  if (channel) form.append('channel', channel);
  if (packName) form.append('packName', packName);
  form.append('pack', pack, pack.name);
  return form;
}

/**
 * `POST /v1/admin/rulesets/import`: the pack in (202), its analysis started. Sent with XMLHttpRequest, whose upload
 * reports progress: a pack may be hundreds of megabytes.
 */
export function uploadRulePack(options: {
  pack: File;
  channel: string;
  /** the pack's name, which an import of a new version repeats; empty: after its file */
  packName?: string;
  onProgress(progress: UploadProgress): void;
  client?: ApiClient;
}): Upload<CreatedRulePackImport> {
  return uploadForm({
    path: '/v1/admin/rulesets/import',
    form: rulePackForm(options.pack, options.channel, options.packName),
    onProgress: options.onProgress,
    isAnswer: (body): body is CreatedRulePackImport =>
      Boolean(body && typeof body === 'object' && 'id' in body && 'packName' in body),
    client: options.client,
  });
}

/** `POST /v1/admin/rulesets/imports/:id/accept`: the analysed pack becomes one signature change, validated next. */
export function acceptRulePackImport(
  id: string,
  rules: AcceptedRules,
  client: ApiClient = api,
): Promise<SignatureChange> {
  return client.post(`/v1/admin/rulesets/imports/${encodeURIComponent(id)}/accept`, { rules });
}

/** Where a running analysis is: its stage, and how far (0–100) when the stage counts files. */
export function analysisProgress(progress: Record<string, unknown> | null): {
  stage: string | null;
  done: number | null;
  files: number | null;
  percent: number | null;
} {
  const stage = typeof progress?.stage === 'string' ? progress.stage : null;
  const files = typeof progress?.files === 'number' ? progress.files : null;
  // profiling counts `done` files, the clean corpus `scanned` ones; compiling counts none
  const counted = progress?.done ?? progress?.scanned;
  const done = typeof counted === 'number' ? counted : null;
  const percent = files !== null && done !== null && files > 0 ? Math.min(100, Math.round((done / files) * 100)) : null;
  return { stage, done, files, percent };
}

/** The rules of a file an admin accepting "all but flagged" leaves out as detections (private rules stay helpers). */
export function flaggedDetections(file: Pick<RulePackFileView, 'compiled' | 'rules'>): RuleReport[] {
  if (!file.compiled) return [];
  return (file.rules ?? []).filter(leftOutUnlessAll);
}
