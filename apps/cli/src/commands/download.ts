import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Args, channelOption, Command, Context, parseVersion, signingKey, stringValue } from '../command';
import { CliError, line, UsageError } from '../io';
import { formatBytes } from '../progress';
import { DownloadError, downloadTo } from '../transfer';
import { MANIFEST_FILE, parseManifest, reportVerification, SIGNATURE_FILE, verifyArtifact } from '../verification';

interface BuildDetail {
  channel: string;
  version: number;
  status: string;
  failure: unknown;
  downloads: Record<string, string>;
  downloadsExpireAt: string | null;
}

/** Download URLs are refreshed this long before they expire, rather than failing mid-transfer. */
const EXPIRY_MARGIN_MS = 15_000;

export const downloadCommand: Command = {
  name: 'download',
  summary: 'download a build to a folder, then verify its signature and files',
  usage: '<version> --out DIR [--channel C] [--public-key FILE]',
  description:
    'Downloads every file of a stored or published build into DIR (manifest.json, manifest.sig and the files the\n' +
    'manifest lists), streamed to disk with progress on stderr, then verifies it as `verify` does: the manifest’s\n' +
    'signature, that the manifest is the one of this version and channel, and each file’s size and SHA-256.\n' +
    'Exit code 0 when verified, 2 when a check failed (the files stay in DIR for inspection), 1 on other errors.',
  positionals: ['version'],
  options: {
    out: { type: 'string', value: 'DIR', help: 'the folder to download to (created when missing)' },
    channel: channelOption,
    'public-key': {
      type: 'string',
      value: 'FILE',
      help: 'verify with this public key (PEM) instead of the one the API gives: pin it',
    },
  },
  async run(context: Context, args: Args): Promise<number> {
    const version = parseVersion(args.positionals[0], 'download');
    const out = stringValue(args, 'out');
    if (!out) throw new UsageError('--out DIR is required.', 'download');
    const channel = stringValue(args, 'channel');
    const { io } = context;
    const api = context.api();
    const key = await signingKey(context, stringValue(args, 'public-key'));

    const fetchDetail = () => api.get<BuildDetail>(`/v1/database-builds/${version}`, { channel });
    let detail = await fetchDetail();
    if (detail.status !== 'stored' && detail.status !== 'published') {
      throw new CliError(
        'build_not_downloadable',
        `Build ${version} is ${detail.status}; only a stored or published build has files to download.`,
        1,
        detail.failure ? { failure: detail.failure } : undefined,
      );
    }
    await mkdir(out, { recursive: true });

    let total = 0;
    const fetchFile = async (name: string) => {
      for (let attempt = 1; ; attempt++) {
        const expiresAt = detail.downloadsExpireAt ? Date.parse(detail.downloadsExpireAt) : Infinity;
        if (expiresAt - EXPIRY_MARGIN_MS < Date.now()) detail = await fetchDetail();
        const url = detail.downloads[name];
        if (!url) throw new CliError('missing_download', `The API offers no download of ${name} for build ${version}.`);
        try {
          total += await downloadTo(url, join(out, name), { label: name, progress: io.stderr, signal: io.signal });
          return;
        } catch (error) {
          // 403: the presigned URL expired (a slow transfer before it, a skewed clock); a new one, once
          if (!(error instanceof DownloadError && error.status === 403 && attempt === 1)) throw error;
          detail = await fetchDetail();
        }
      }
    };

    await fetchFile(MANIFEST_FILE);
    await fetchFile(SIGNATURE_FILE);
    // the files are the ones the downloaded manifest names (the signed one), not whatever the API lists
    const parsed = parseManifest(await readFile(join(out, MANIFEST_FILE)));
    const names = 'manifest' in parsed ? parsed.manifest.files.map((f) => f.name) : [];
    for (const name of names) await fetchFile(name);
    line(io.stderr, `downloaded ${names.length + 2} files (${formatBytes(total)}) to ${resolve(out)}`);

    const verification = await verifyArtifact(out, key, { version, channel: detail.channel });
    return reportVerification(io, out, verification);
  },
};
