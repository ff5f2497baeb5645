import { generateKeyPairSync } from 'node:crypto';
import {
  applyDelta,
  computeDelta,
  Manifest,
  manifestBytes,
  renderContent,
  sha256Hex,
  signManifest,
  verifyFiles,
  verifyManifest,
} from './artifact';

const parent = {
  rules: [
    { name: 'A', source: 'rule A { condition: true }' },
    { name: 'B', source: 'rule B { condition: false }' },
    { name: 'C', source: 'rule C { condition: false }' },
  ],
  allowlist: ['a'.repeat(64), 'b'.repeat(64)],
};
const next = {
  rules: [
    { name: 'A', source: 'rule A { condition: true }' },
    { name: 'B', source: 'rule B { condition: filesize > 1 }' },
    { name: 'D', source: 'rule D { condition: true }' },
  ],
  allowlist: ['b'.repeat(64), 'c'.repeat(64)],
};

describe(computeDelta.name, () => {
  it('lists rules added, changed and removed, and allow-list entries added and removed', () => {
    const delta = computeDelta(parent, next, 1, 2);
    expect(delta.rules.added.map((r) => r.name)).toEqual(['D']);
    expect(delta.rules.changed.map((r) => r.name)).toEqual(['B']);
    expect(delta.rules.removed).toEqual(['C']);
    expect(delta.allowlist).toEqual({ added: ['c'.repeat(64)], removed: ['a'.repeat(64)] });
  });

  it('applied to the parent gives the next version, byte for byte', () => {
    const rebuilt = applyDelta(parent, computeDelta(parent, next, 1, 2));
    expect(renderContent(rebuilt)).toEqual(renderContent(next));
  });
});

describe(verifyManifest.name, () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const files = renderContent(next);
  const manifest: Manifest = {
    format: 'sigdesk-database/1',
    channel: 'default',
    version: 2,
    parentVersion: 1,
    kind: 'expedited',
    builtAt: '2026-11-25T10:00:00.000Z',
    changes: [],
    cases: [],
    ruleCount: 3,
    allowlistCount: 2,
    files: [{ name: 'rules.yar', sha256: sha256Hex(files.rules), size: files.rules.length }],
  };

  it('accepts the signed manifest and refuses a tampered one', () => {
    const bytes = manifestBytes(manifest);
    const signature = signManifest(bytes, privateKey);
    expect(verifyManifest(bytes, signature, publicPem)).toBe(true);
    const tampered = manifestBytes({ ...manifest, version: 3 });
    expect(verifyManifest(tampered, signature, publicPem)).toBe(false);
    expect(verifyManifest(bytes, 'AAAA', publicPem)).toBe(false);
  });

  it('finds a file that does not match the manifest', () => {
    expect(verifyFiles(manifest, { 'rules.yar': files.rules })).toEqual([]);
    expect(verifyFiles(manifest, { 'rules.yar': Buffer.from('rule X { condition: true }') })).toEqual([
      'rules.yar does not match the manifest',
    ]);
  });
});
