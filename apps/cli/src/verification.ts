import { createHash, createPublicKey, KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
// the artifact module alone: `@sigdesk/builds` would also load the Nest module, the database and the YARA engine
import { Manifest, verifyFiles, verifyManifest } from '../../../libs/builds/src/artifact';
import { CliError, EXIT, Io, line } from './io';

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
const MANIFEST_FORMAT = 'sigdesk-database/1';

/** A file name the manifest may give: one path segment, so that a manifest never writes outside the folder. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verification {
  ok: boolean;
  checks: Check[];
  manifest?: Manifest;
}

export interface Expected {
  version?: number;
  channel?: string;
}

/** An Ed25519 public key in PEM; anything else is a configuration error (exit 1), not a failed verification. */
export function loadPublicKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new CliError('bad_public_key', `${source} is not a public key in PEM.`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new CliError(
      'bad_public_key',
      `${source} is a ${key.asymmetricKeyType} key; manifests are signed with Ed25519.`,
    );
  }
  return key;
}

/** What a person compares to pin a key: SHA-256 of the key's DER (SubjectPublicKeyInfo). */
export function fingerprint(key: KeyObject): string {
  return `sha256:${createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`;
}

/** The manifest's shape, or what is wrong with it. Only a manifest that parses names files to download. */
export function parseManifest(bytes: Buffer): { manifest: Manifest } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problem: `${MANIFEST_FILE} is not JSON` };
  }
  const manifest = value as Partial<Manifest> | null;
  if (!manifest || typeof manifest !== 'object' || manifest.format !== MANIFEST_FORMAT) {
    return { problem: `${MANIFEST_FILE} is not a ${MANIFEST_FORMAT} manifest` };
  }
  if (!Number.isInteger(manifest.version) || typeof manifest.channel !== 'string' || !Array.isArray(manifest.files)) {
    return { problem: `${MANIFEST_FILE} lacks its version, channel or files` };
  }
  for (const file of manifest.files as unknown[]) {
    const entry = file as Partial<Manifest['files'][number]> | null;
    if (
      !entry ||
      typeof entry.name !== 'string' ||
      !SAFE_NAME.test(entry.name) ||
      entry.name === MANIFEST_FILE ||
      entry.name === SIGNATURE_FILE ||
      typeof entry.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(entry.sha256) ||
      !Number.isSafeInteger(entry.size) ||
      (entry.size as number) < 0
    ) {
      return { problem: `${MANIFEST_FILE} lists a file entry that is not a plain name with a SHA-256 and a size` };
    }
  }
  return { manifest: manifest as Manifest };
}

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError('unreadable', `Cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * Every check of a downloaded artifact, all run so that the report names each failure: the signature of
 * manifest.json (manifest.sig, by the given key), the manifest itself (and the version and channel expected), and
 * each file's size and SHA-256 against the manifest.
 */
export async function verifyArtifact(dir: string, key: KeyObject, expected: Expected = {}): Promise<Verification> {
  const checks: Check[] = [];
  const manifestBytes = await readIfPresent(join(dir, MANIFEST_FILE));
  const signature = await readIfPresent(join(dir, SIGNATURE_FILE));
  const pem = key.export({ type: 'spki', format: 'pem' }).toString();

  if (!manifestBytes) checks.push({ name: 'signature', ok: false, detail: `${MANIFEST_FILE} is missing` });
  else if (!signature) checks.push({ name: 'signature', ok: false, detail: `${SIGNATURE_FILE} is missing` });
  else if (!verifyManifest(manifestBytes, signature.toString('utf8').trim(), pem)) {
    checks.push({
      name: 'signature',
      ok: false,
      detail: `${MANIFEST_FILE} is not signed by the key ${fingerprint(key)} (altered, or signed by another key)`,
    });
  } else checks.push({ name: 'signature', ok: true, detail: `Ed25519, key ${fingerprint(key)}` });

  if (!manifestBytes) return { ok: false, checks };
  const parsed = parseManifest(manifestBytes);
  if ('problem' in parsed) {
    checks.push({ name: 'manifest', ok: false, detail: parsed.problem });
    return { ok: false, checks };
  }
  const { manifest } = parsed;
  const expectedVersion = expected.version ?? manifest.version;
  const expectedChannel = expected.channel ?? manifest.channel;
  if (manifest.version !== expectedVersion || manifest.channel !== expectedChannel) {
    checks.push({
      name: 'manifest',
      ok: false,
      detail:
        `${MANIFEST_FILE} is for version ${manifest.version} of channel "${manifest.channel}", ` +
        `expected version ${expectedVersion} of channel "${expectedChannel}"`,
    });
  } else {
    const changes = Array.isArray(manifest.changes) ? manifest.changes.length : 0;
    checks.push({
      name: 'manifest',
      ok: true,
      detail:
        `version ${manifest.version} of channel "${manifest.channel}" (parent ${manifest.parentVersion ?? 'none'}), ` +
        `${manifest.kind}, ${changes} change${changes === 1 ? '' : 's'}`,
    });
  }

  const files: Record<string, Buffer> = {};
  for (const entry of manifest.files) {
    const bytes = await readIfPresent(join(dir, entry.name));
    if (bytes) files[entry.name] = bytes;
  }
  const problems = verifyFiles(manifest, files);
  for (const entry of manifest.files) {
    const problem = problems.find((p) => p.startsWith(`${entry.name} `));
    checks.push(
      problem
        ? { name: entry.name, ok: false, detail: problem }
        : { name: entry.name, ok: true, detail: `${entry.size} bytes, sha256 ${entry.sha256.slice(0, 16)}…` },
    );
  }
  return { ok: checks.every((c) => c.ok), checks, manifest };
}

/** Prints the checks (stdout) and the verdict; the exit code: 0 verified, 2 a check failed. */
export function reportVerification(io: Io, dir: string, verification: Verification): number {
  const width = Math.max(...verification.checks.map((c) => c.name.length));
  for (const check of verification.checks) {
    line(io.stdout, `${check.ok ? 'ok    ' : 'FAILED'}  ${check.name.padEnd(width)}  ${check.detail}`);
  }
  if (verification.ok && verification.manifest) {
    const { version, channel } = verification.manifest;
    line(io.stdout, `verified: database version ${version} of channel "${channel}" in ${dir}`);
    return EXIT.ok;
  }
  const failed = verification.checks.filter((c) => !c.ok);
  line(io.stderr, `verification failed: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`);
  return EXIT.verificationFailed;
}
