import { createHash, createPublicKey, KeyObject, sign, verify } from 'node:crypto';

/** What a release carries besides its manifest. Names are part of the artifact format: never rename one. */
export const ARTIFACT_FILES = {
  rules: 'rules.yar',
  allowlist: 'allowlist.txt',
  delta: 'delta.json',
  /** the same rules compiled: YARA-X's serialised form, which `compiledRules.engine` opens without compiling */
  compiledRules: 'rules.yarc',
  /**
   * the files of imported rule packs, each to be compiled in its own YARA namespace (YARA's text has no way to
   * say one): `{ format, files: [{ namespace, source, pack, file }] }`. Absent when the database has none.
   */
  namespacedRules: 'namespaces.json',
} as const;

export interface RuleEntry {
  name: string;
  source: string;
  /** an imported pack file's YARA namespace (its `name` too); absent: a rule of `rules.yar` */
  namespace?: string;
  pack?: string;
  file?: string;
}

export interface Delta {
  parentVersion: number | null;
  version: number;
  rules: { added: RuleEntry[]; changed: RuleEntry[]; removed: string[] };
  allowlist: { added: string[]; removed: string[] };
}

export interface Manifest {
  format: 'sigdesk-database/1';
  channel: string;
  version: number;
  parentVersion: number | null;
  kind: 'expedited' | 'scheduled';
  builtAt: string;
  changes: string[];
  cases: string[];
  ruleCount: number;
  allowlistCount: number;
  files: Array<{ name: string; sha256: string; size: number }>;
  /**
   * The compiled rules' file and the YARA-X that opens it (compiled rules open only in the version that saved them:
   * other tooling compiles `rules.yar`). Absent from builds made without them.
   */
  compiledRules?: { file: string; engine: string };
}

export interface DatabaseContent {
  rules: RuleEntry[];
  allowlist: string[];
}

export const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * The files of a release, byte for byte: rules sorted by name, one SHA-256 per allow-list line; the namespaced files
 * of imported packs, when there are any, sorted by namespace.
 */
export function renderContent(content: DatabaseContent): { rules: Buffer; allowlist: Buffer; namespaced?: Buffer } {
  const sorted = [...content.rules].sort((a, b) => a.name.localeCompare(b.name));
  const rules = sorted.filter((r) => r.namespace === undefined);
  const namespaced = sorted.filter((r) => r.namespace !== undefined);
  return {
    ...(namespaced.length
      ? {
          namespaced: Buffer.from(
            `${JSON.stringify(
              {
                format: 'sigdesk-namespaces/1',
                files: namespaced.map((r) => ({
                  namespace: r.namespace,
                  pack: r.pack,
                  file: r.file,
                  source: r.source,
                })),
              },
              null,
              2,
            )}\n`,
          ),
        }
      : {}),
    rules: Buffer.from(rules.map((r) => `// rule ${r.name}\n${r.source.trim()}\n`).join('\n')),
    allowlist: Buffer.from(
      [...content.allowlist]
        .sort()
        .map((sha) => `${sha}\n`)
        .join(''),
    ),
  };
}

/** What changed from the parent's content: enough for an update server to ship an increment. */
export function computeDelta(
  parent: DatabaseContent,
  next: DatabaseContent,
  parentVersion: number | null,
  version: number,
): Delta {
  const before = new Map(parent.rules.map((r) => [r.name, r.source]));
  const after = new Map(next.rules.map((r) => [r.name, r.source]));
  const beforeAllow = new Set(parent.allowlist);
  const afterAllow = new Set(next.allowlist);
  return {
    parentVersion,
    version,
    rules: {
      added: next.rules.filter((r) => !before.has(r.name)).sort(byName),
      changed: next.rules.filter((r) => before.has(r.name) && before.get(r.name) !== r.source).sort(byName),
      removed: parent.rules
        .filter((r) => !after.has(r.name))
        .map((r) => r.name)
        .sort(),
    },
    allowlist: {
      added: next.allowlist.filter((s) => !beforeAllow.has(s)).sort(),
      removed: parent.allowlist.filter((s) => !afterAllow.has(s)).sort(),
    },
  };
}

/** The parent's content with a delta applied: what an update server computes from an increment. */
export function applyDelta(parent: DatabaseContent, delta: Delta): DatabaseContent {
  const rules = new Map(parent.rules.map((r) => [r.name, r]));
  for (const name of delta.rules.removed) rules.delete(name);
  for (const rule of [...delta.rules.added, ...delta.rules.changed]) rules.set(rule.name, rule);
  const allowlist = new Set(parent.allowlist);
  for (const sha of delta.allowlist.removed) allowlist.delete(sha);
  for (const sha of delta.allowlist.added) allowlist.add(sha);
  return {
    rules: [...rules.values()].sort(byName),
    allowlist: [...allowlist].sort(),
  };
}

/** The exact bytes that are signed and stored: the signature covers these and nothing else. */
export function manifestBytes(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

export function signManifest(bytes: Buffer, privateKey: KeyObject): string {
  return sign(null, bytes, privateKey).toString('base64');
}

export function verifyManifest(bytes: Buffer, signatureBase64: string, publicKeyPem: string): boolean {
  try {
    return verify(null, bytes, createPublicKey(publicKeyPem), Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}

/** Checks a downloaded artifact against its manifest: each file's SHA-256 and size. */
export function verifyFiles(manifest: Manifest, files: Record<string, Buffer>): string[] {
  const problems: string[] = [];
  for (const entry of manifest.files) {
    const bytes = files[entry.name];
    if (!bytes) problems.push(`${entry.name} is missing`);
    else if (bytes.length !== entry.size || sha256Hex(bytes) !== entry.sha256)
      problems.push(`${entry.name} does not match the manifest`);
  }
  return problems;
}

const byName = (a: RuleEntry, b: RuleEntry) => a.name.localeCompare(b.name);
