import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Args, channelOption, Command, Context, flag, stringValue } from '../command';
import { CliError, EXIT, line, UsageError } from '../io';
import { formatBytes } from '../progress';
import type { RulePackImportDetail, RulePackImportView } from '../../../../libs/signatures/src/import/rule-pack-views';

/** An upload of a large pack over a slow line may take this long. */
const UPLOAD_TIMEOUT_MS = 10 * 60_000;
const POLL_MS = 1_000;

// the API's own view of an import (a types-only file): what the CLI prints is what the API answers
type PackImport = RulePackImportView & Partial<Pick<RulePackImportDetail, 'files' | 'replaces'>>;

export const importCommand: Command = {
  name: 'import',
  summary: 'import a YARA rule pack (.yar, ZIP or tar.gz) and print its quality report',
  usage: '<file> [--channel C] [--name PACK] [--accept all|unflagged] [--json]',
  description: [
    'Uploads a rule pack (an admin API key), follows its analysis and prints the quality report: each file compiled',
    'or why not, each rule with hits on the clean corpus, slow patterns, and each file\u2019s share of the scan cost.',
    'With --accept, the analysed pack becomes one signature change (all rules, or all but the flagged ones), which',
    'is validated and then approved by an analyst like any other. An import replaces the files of the pack of the',
    'same name (the file name without its extensions, or --name): import a new version under the name of the last.',
    'Exit code 1 when the analysis failed.',
  ].join('\n'),
  positionals: ['file'],
  options: {
    channel: channelOption,
    name: { type: 'string', value: 'PACK', help: "the pack's name (default: the file name without extensions)" },
    accept: { type: 'string', value: 'WHAT', help: 'accept the pack once analysed: "all" or "unflagged"' },
    json: { type: 'boolean', help: 'print the whole report as JSON' },
  },
  async run(context: Context, args: Args): Promise<number> {
    const [file] = args.positionals;
    if (!file) throw new UsageError('Name the rule pack to import.', 'import');
    const accept = stringValue(args, 'accept');
    if (accept !== undefined && accept !== 'all' && accept !== 'unflagged') {
      throw new UsageError('--accept is "all" or "unflagged".', 'import');
    }
    const size = await stat(file).then(
      (s) => (s.isFile() ? s.size : undefined),
      () => undefined,
    );
    if (size === undefined) throw new CliError('not_found', `${file} is not a file.`);
    const { stderr, stdout } = context.io;
    const api = context.api();

    const form = new FormData();
    const channel = stringValue(args, 'channel');
    if (channel) form.append('channel', channel);
    const name = stringValue(args, 'name');
    if (name) form.append('packName', name);
    form.append('pack', await openAsBlob(file), basename(file));
    line(stderr, `uploading ${basename(file)} (${formatBytes(size)})`);
    const created = await api.postForm<PackImport>('/v1/admin/rulesets/import', form, UPLOAD_TIMEOUT_MS);
    line(stderr, `import ${created.id}: analysing`);

    let current = created;
    let said = '';
    while (current.status === 'analysing') {
      await sleep(POLL_MS, undefined, { signal: context.io.signal }).catch(() => {
        throw new CliError('interrupted', `Stopped; the analysis goes on (import ${created.id}).`);
      });
      current = await api.get<PackImport>(`/v1/admin/rulesets/imports/${created.id}`);
      const now = progressText(current);
      if (now && now !== said) line(stderr, now);
      said = now;
    }

    if (flag(args, 'json')) line(stdout, JSON.stringify(current, null, 2));
    else printReport(stdout, current);
    if (current.status !== 'analysed') return EXIT.error;
    if (accept) {
      const change = await api.postJson<{ id: string; status: string }>(
        `/v1/admin/rulesets/imports/${created.id}/accept`,
        { rules: accept },
      );
      line(stderr, `accepted (${accept}) as signature change ${change.id}: ${change.status}`);
    }
    return EXIT.ok;
  },
};

function progressText(pack: PackImport): string {
  const p = (pack.progress ?? {}) as { stage?: string; files?: number; done?: number; scanned?: number };
  if (!p.stage) return '';
  if (p.stage === 'compiling') return `compiling ${p.files ?? '?'} file(s)`;
  if (p.stage === 'profiling') return `profiling files: ${p.done ?? 0} of ${p.files ?? '?'}`;
  if (p.stage === 'clean corpus') return `scanning the clean corpus: ${p.scanned ?? 0} of ${p.files ?? '?'} files`;
  return p.stage;
}

function printReport(out: Context['io']['stdout'], pack: PackImport): void {
  if (pack.status === 'failed') {
    line(out, `analysis failed: ${pack.error ?? 'unknown error'}`);
    return;
  }
  const s = pack.summary;
  if (!s) return;
  line(
    out,
    `${pack.packName}: ${s.compiled} of ${s.files} file(s) compile, ${s.rules} rule(s), ${s.flaggedRules} flagged ` +
      `(${s.rulesWithCleanHits} with clean-corpus hits: ${s.cleanCorpus.filesHit} of ${s.cleanCorpus.files} clean ` +
      `files hit), ${s.skipped} entr${s.skipped === 1 ? 'y' : 'ies'} skipped, analysed in ${(s.millis / 1000).toFixed(1)} s`,
  );
  for (const skipped of pack.skipped.slice(0, 20)) line(out, `  skipped ${skipped.path}: ${skipped.reason}`);
  const replaces = pack.replaces;
  if (replaces) {
    line(
      out,
      `replaces ${pack.packName} in ${replaces.channel} version ${replaces.version} (${replaces.files} file(s)); ` +
        `accepting takes out ${replaces.removed.length} of them`,
    );
    for (const gone of replaces.removed.slice(0, 20)) {
      line(
        out,
        `  takes out ${gone.path}: ${gone.reason === 'not_in_import' ? 'not in this import' : 'does not compile in it'}`,
      );
    }
  }
  const files = pack.files ?? [];
  for (const file of files.filter((f) => !f.compiled)) {
    const first = file.errors?.[0];
    line(out, `  does not compile: ${file.path}${first ? ` (line ${first.line ?? '?'}: ${first.message})` : ''}`);
  }
  const costly = files
    .filter((f) => f.profile)
    .sort((a, b) => b.profile!.share - a.profile!.share)
    .slice(0, 10);
  if (costly.length) line(out, 'scan cost (share of the profiling pass):');
  for (const file of costly) line(out, `  ${(file.profile!.share * 100).toFixed(1).padStart(5)}%  ${file.path}`);
  const flagged = files.flatMap((f) => (f.rules ?? []).filter((r) => r.flagged.length).map((r) => ({ f, r })));
  if (flagged.length) line(out, 'flagged rules:');
  for (const { f, r } of flagged.slice(0, 50)) {
    const why = r.cleanHits ? `${r.cleanHits} clean file(s), e.g. ${r.cleanFiles[0]}` : r.warnings[0];
    line(out, `  ${f.namespace}:${r.name}  ${r.flagged.join(', ')}: ${why}`);
  }
  if (flagged.length > 50) line(out, `  … and ${flagged.length - 50} more (--json for all)`);
}
