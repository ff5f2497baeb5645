import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../apps/cli/src/cli';
import {
  ApiClient,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  eventually,
  TestEnvironment,
  validatedChange,
} from '@sigdesk/testing';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('release tooling CLI', () => {
  let env: TestEnvironment;
  let msa: SeededCustomer;
  let standard: SeededCustomer;
  let author: ApiClient;
  let reviewer: ApiClient;
  let release: ApiClient;
  let work: string;
  let pinnedKey: string;
  let marker: string;

  /** The CLI in-process, as release tooling runs it: its own URL and key, nothing from the environment. */
  async function cli(...argv: string[]): Promise<CliResult> {
    const out = { stdout: '', stderr: '' };
    const code = await run(['--url', env.url, '--key', release.key!, ...argv], {
      stdout: { write: (chunk: string) => (out.stdout += chunk) },
      stderr: { write: (chunk: string) => (out.stderr += chunk) },
      env: {},
    });
    return { code, ...out };
  }

  /** A false negative with a unique marker, confirmed, with a validated and approved rule for it. */
  async function approvedChange(customer: SeededCustomer, name: string) {
    const { changeId, marker } = await validatedChange(env, customer, author, name);
    expect((await reviewer.post(`/v1/signature-changes/${changeId}/approve`, {})).status).toBe(200);
    return { changeId, marker };
  }

  beforeAll(async () => {
    env = await startTestEnvironment({ env: { SIGDESK_EXPEDITED_WINDOW_SECONDS: '1' } });
    await seedRelease(env, 1);
    msa = await seedCustomer(env, { tier: 'msa_start' });
    standard = await seedCustomer(env, { tier: 'standard', name: 'Standard Co' });
    author = await seedKey(env, 'analyst');
    reviewer = await seedKey(env, 'analyst');
    release = await seedKey(env, 'release');
    work = await mkdtemp(join(tmpdir(), 'sigdesk-cli-'));

    // an MSA Start change: an expedited build 2 is stored a moment after its approval
    marker = (await approvedChange(msa, 'Trojan_Cli_Expedited')).marker;
    const builds = await eventually(
      () => release.get('/v1/database-builds'),
      (res) => res.body.items.some((b: any) => b.version === 2 && b.status === 'stored'),
    );
    expect(builds.body.items.find((b: any) => b.version === 2)).toMatchObject({ status: 'stored' });

    // release tooling pins the signing key once
    const key = await cli('signing-key');
    expect(key.code).toBe(0);
    expect(key.stdout).toContain('BEGIN PUBLIC KEY');
    expect(key.stderr).toMatch(/^Ed25519 sha256:[0-9a-f]{64}$/m);
    pinnedKey = join(work, 'signing-key.pem');
    await writeFile(pinnedKey, key.stdout);
  });

  afterAll(async () => {
    await env?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('downloads a build to disk with progress, verified against the pinned key', async () => {
    const dir = join(work, 'build-2');
    const result = await cli('download', '2', '--out', dir, '--public-key', pinnedKey);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('verified: database version 2 of channel "default"');
    expect(result.stdout).toMatch(/^ok +signature/m);
    expect(result.stdout).toMatch(/^ok +rules\.yar/m);
    // stderr is not a terminal here: plain progress lines, no carriage returns
    expect(result.stderr).toMatch(/^rules\.yar: [\d.]+ (B|KiB) in [\d.]+ s$/m);
    expect(result.stderr).not.toContain('\r');
    expect(result.stderr).not.toContain('warning');
    expect((await readdir(dir)).sort()).toEqual([
      'allowlist.txt',
      'delta.json',
      'manifest.json',
      'manifest.sig',
      'rules.yar',
      'rules.yarc',
    ]);
    expect(await readFile(join(dir, 'rules.yar'), 'utf8')).toContain(marker);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ version: 2, parentVersion: 1, kind: 'expedited' });

    // offline, pinned; and with the key the API gives, which it warns about
    expect(await cli('verify', dir, '--public-key', pinnedKey, '--version', '2')).toMatchObject({ code: 0 });
    const unpinned = await cli('verify', dir);
    expect(unpinned.code).toBe(0);
    expect(unpinned.stderr).toContain('pin it with --public-key');
    // a validly signed build put in the place of another one
    const other = await cli('verify', dir, '--public-key', pinnedKey, '--version', '3');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('manifest: manifest.json is for version 2');
  });

  it('fails verification (exit 2) naming rules.yar when it was altered', async () => {
    const dir = join(work, 'altered-rules');
    await cp(join(work, 'build-2'), dir, { recursive: true });
    await writeFile(join(dir, 'rules.yar'), `${await readFile(join(dir, 'rules.yar'), 'utf8')}\n// one more line\n`);
    const result = await cli('verify', dir, '--public-key', pinnedKey);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^ok +signature/m);
    expect(result.stdout).toMatch(/^FAILED +rules\.yar +rules\.yar does not match the manifest$/m);
    expect(result.stdout).toMatch(/^ok +allowlist\.txt/m);
    expect(result.stderr).toContain('verification failed: rules.yar: rules.yar does not match the manifest');
    expect(result.stdout).not.toContain('verified:');
  });

  it('fails verification (exit 2) on the signature when the manifest was altered', async () => {
    const dir = join(work, 'altered-manifest');
    await cp(join(work, 'build-2'), dir, { recursive: true });
    const manifest = await readFile(join(dir, 'manifest.json'), 'utf8');
    await writeFile(join(dir, 'manifest.json'), manifest.replace('"kind": "expedited"', '"kind": "scheduled"'));
    const result = await cli('verify', dir, '--public-key', pinnedKey);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^FAILED +signature +manifest\.json is not signed by the key/m);
    expect(result.stderr).toMatch(/^verification failed: signature: /m);
    expect(result.stderr).not.toContain('rules.yar');
  });

  it('fails verification (exit 2) against a pinned key that did not sign the build', async () => {
    const wrongKey = join(work, 'wrong-key.pem');
    await writeFile(
      wrongKey,
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
    const offline = await cli('verify', join(work, 'build-2'), '--public-key', wrongKey);
    expect(offline.code).toBe(2);
    expect(offline.stderr).toMatch(/^verification failed: signature: manifest\.json is not signed by the key/m);

    const dir = join(work, 'wrong-key-download');
    const downloaded = await cli('download', '2', '--out', dir, '--public-key', wrongKey);
    expect(downloaded.code).toBe(2);
    expect(downloaded.stderr).toContain('verification failed: signature:');
    // a key that is not Ed25519 at all is a configuration error, not a failed verification
    const rsa = join(work, 'rsa.pem');
    await writeFile(
      rsa,
      generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
    const notEd25519 = await cli('verify', join(work, 'build-2'), '--public-key', rsa);
    expect(notEd25519.code).toBe(1);
    expect(notEd25519.stderr).toContain('error bad_public_key:');
  });

  it('resumes the approved feed from its state file: a change is printed once', async () => {
    const state = join(work, 'state', 'feed.json');
    const first = await approvedChange(standard, 'Trojan_Cli_Feed_First');
    const run1 = await cli('feed', '--state-file', state);
    expect(run1.code).toBe(0);
    const seen1 = run1.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(seen1.map((c) => c.id)).toEqual([first.changeId]);
    expect(seen1[0]).toMatchObject({ status: 'approved', ruleName: 'Trojan_Cli_Feed_First' });
    const cursor1 = /^next cursor: (\d+)$/m.exec(run1.stderr)?.[1];
    expect(cursor1).toBeDefined();
    expect(JSON.parse(await readFile(state, 'utf8'))).toMatchObject({ status: 'approved', cursor: cursor1 });

    const second = await approvedChange(standard, 'Trojan_Cli_Feed_Second');
    const run2 = await cli('feed', '--state-file', state);
    expect(run2.code).toBe(0);
    expect(run2.stdout).not.toContain(first.changeId);
    expect(
      run2.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual([second.changeId]);

    const run3 = await cli('feed', '--state-file', state);
    expect(run3).toMatchObject({ code: 0, stdout: '' });
    expect(run3.stderr).toMatch(/^next cursor: \d+$/m);
    // an explicit cursor overrides the state; the state of another feed is refused
    expect((await cli('feed', '--cursor', cursor1!)).stdout).toContain(second.changeId);
    const mismatch = await cli('feed', '--status', 'built', '--state-file', state);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('error state_file_mismatch:');
  });

  it('follows the feed until stopped', async () => {
    const stop = new AbortController();
    const out = { stdout: '', stderr: '' };
    const following = run(['--url', env.url, '--key', release.key!, 'feed', '--follow', '--interval', '0.2'], {
      stdout: { write: (chunk: string) => (out.stdout += chunk) },
      stderr: { write: (chunk: string) => (out.stderr += chunk) },
      env: {},
      signal: stop.signal,
    });
    await eventually(
      async () => out.stdout,
      (text) => text.includes('Trojan_Cli_Feed_Second'),
      10_000,
    );
    stop.abort();
    expect(await following).toBe(0);
    expect(out.stderr).toMatch(/^next cursor: \d+$/m);
  });

  it('publishes a build, and publishing it again succeeds without changing anything', async () => {
    const first = await cli('publish', '2');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ version: 2, status: 'published', alreadyPublished: false });
    expect(first.stderr).toContain('published database version 2 of channel "default"; 1 case fixed');
    const again = await cli('publish', '2');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ version: 2, alreadyPublished: true });
    expect(again.stderr).toContain('already published');

    const builds = await cli('builds');
    expect(builds.code).toBe(0);
    expect(builds.stdout).toMatch(/^VERSION +STATUS +KIND +CHANGES/);
    expect(builds.stdout).toMatch(/^2 +published +expedited +1 +1 /m);
    // a published build still downloads and verifies
    expect((await cli('download', '2', '--out', join(work, 'published'), '--public-key', pinnedKey)).code).toBe(0);
  });

  it('prints the API’s errors as "error <code>: <message>" with exit code 1', async () => {
    const out = { stdout: '', stderr: '' };
    const code = await run(['builds', '--url', env.url, '--key', 'sdk_not_a_real_key_at_all_000000'], {
      stdout: { write: (chunk: string) => (out.stdout += chunk) },
      stderr: { write: (chunk: string) => (out.stderr += chunk) },
      env: {},
    });
    expect(code).toBe(1);
    expect(out.stderr).toMatch(/^error unauthorized: /);
    expect(out.stdout).toBe('');

    const missing = await cli('download', '99', '--out', join(work, 'missing'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error not_found: /m);
    const notABuild = await cli('publish', '1');
    expect(notABuild.code).toBe(1);
    expect(notABuild.stderr).toMatch(/^error not_found: Build 1 /m);
  });

  it('explains its usage, and refuses what it does not understand', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const name of ['feed', 'builds', 'download', 'verify', 'publish', 'signing-key']) {
      expect(help.stdout).toContain(`  ${name} `);
      const commandHelp = await cli(name, '--help');
      expect(commandHelp.code).toBe(0);
      expect(commandHelp.stdout).toContain(`Usage: sigdesk ${name}`);
    }
    expect(await cli('download', '2')).toMatchObject({ code: 1, stderr: expect.stringContaining('--out DIR') });
    expect(await cli('download', 'latest', '--out', work)).toMatchObject({ code: 1 });
    expect(await cli('builds', '--frobnicate')).toMatchObject({ code: 1 });
    expect(await cli('deploy')).toMatchObject({ code: 1, stderr: expect.stringContaining('not a command') });
    const unreachable = await run(['builds', '--url', 'http://127.0.0.1:1', '--key', 'k'], {
      stdout: { write: () => true },
      stderr: { write: (chunk: string) => (help.stderr += chunk) },
      env: {},
    });
    expect(unreachable).toBe(1);
    expect(help.stderr).toMatch(/^error unreachable: Cannot reach http:\/\/127\.0\.0\.1:1/m);
    const noKey = await run(['builds'], {
      stdout: { write: () => true },
      stderr: { write: (chunk: string) => (help.stderr += chunk) },
      env: { SIGDESK_URL: env.url },
    });
    expect(noKey).toBe(1);
    expect(help.stderr).toContain('error no_api_key:');
  });
});
