/**
 * What the fault suite runs and breaks: its own PostgreSQL (the embedded server, stopped and started again on its
 * port), its own Redis and its own S3 server (child processes, killed and started again on their ports and folders),
 * and sigdesk's API and worker (the compiled build, each a child process).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, WriteStream } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { EmbeddedPostgres, startEmbeddedPostgres } from '@sigdesk/db';
import { ROOT, sleep } from '../../bench/support/harness';

/** Milliseconds on a clock that never jumps: every timestamp of the suite is on it. */
export const now = (): number => performance.now();

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
  /** Whether the suite caused it (a kill or a SIGTERM it sent). */
  expected: boolean;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** The embedded PostgreSQL 18 of libs/db, in the suite's folder, stopped and started again on the same port. */
export class Postgres {
  private server: EmbeddedPostgres | undefined;
  url = '';
  port: number | undefined;

  constructor(private readonly dataDir: string) {}

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    this.server = await startEmbeddedPostgres({ dataDir: this.dataDir, port: this.port });
    this.url = this.server.url;
    this.port = Number(new URL(this.url).port);
  }

  /** A fast shutdown (SIGINT): sessions are ended, everything committed stays. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }
}

/**
 * redis-server on a spare loopback port with an append-only file synced on every write, so that a restart after a
 * kill finds every acknowledged write (as the compose deployment's Redis does, `--appendonly yes`); wiping the folder
 * first starts it empty.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;

  constructor(
    private readonly dir: string,
    readonly port: number,
    private readonly logFile: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    this.child = child;
    await until(`Redis on port ${this.port}`, 10_000, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} (see ${this.logFile})`);
      const redis = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        return (await redis.ping()) === 'PONG';
      } finally {
        redis.disconnect();
      }
    });
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    child.kill('SIGKILL');
    await waitForExit(child, 10_000);
  }

  /** Removes what Redis would load on its next start. */
  wipe(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await this.kill();
    await new Promise((done) => (this.log ? this.log.end(done) : done(undefined)));
    this.log = undefined;
  }
}

/**
 * s3rver in a child process, so that it can be killed and started again on the same port and folder. A real S3 shows
 * an object whole or not at all; s3rver writes its files in place, so a kill mid-write would leave a torn object that
 * breaks its listings. The child therefore writes each object's files in a staging folder beside the served one and
 * renames them into place, the object's own file last.
 */
export class S3Server {
  private child: ChildProcess | undefined;
  readonly bucket = 'sigdesk';
  readonly accessKeyId = 'S3RVER';
  readonly secretAccessKey = 'S3RVER';
  readonly region = 'us-east-1';

  constructor(
    private readonly dir: string,
    readonly port: number,
    private readonly logFile: string,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const script = `
      const { randomUUID } = require('node:crypto');
      const fs = require('node:fs/promises');
      const path = require('node:path');
      const S3rver = require('s3rver');
      const Store = require('s3rver/lib/stores/filesystem');
      const [directory, port] = process.argv.slice(1);
      const putObject = Store.prototype.putObject;
      Store.prototype.putObject = async function (object) {
        const staging = new Store(path.join(directory + '-staging', randomUUID()));
        try {
          const result = await putObject.call(staging, object);
          for (const resource of ['metadata.json', 'object.md5', 'object']) {
            const target = this.getResourcePath(object.bucket, object.key, resource);
            await fs.mkdir(path.dirname(target), { recursive: true });
            await fs.rename(staging.getResourcePath(object.bucket, object.key, resource), target);
          }
          return result;
        } finally {
          await fs.rm(staging.rootDirectory, { recursive: true, force: true });
        }
      };
      // what fails inside the store is logged: s3rver only answers it as an InternalError
      for (const name of Object.getOwnPropertyNames(Store.prototype)) {
        const method = Store.prototype[name];
        if (name === 'constructor' || typeof method !== 'function') continue;
        Store.prototype[name] = function (...args) {
          const result = method.apply(this, args);
          if (result && typeof result.catch === 'function') {
            result.catch((error) => {
              if (error.code === 'ENOENT' && name !== 'putObject') return; // a missing object: a 404, not a failure
              const what = args.slice(0, 2).map((a) => (a && a.key) || String(a)).join(' ');
              console.error(new Date().toISOString(), name, what, error);
            });
          }
          return result;
        };
      }
      new S3rver({ address: '127.0.0.1', port: Number(port), directory, silent: true, allowMismatchedSignatures: true })
        .run()
        .then(() => process.stdout.write('ready\\n'), (error) => { console.error(error); process.exit(1); });
    `;
    // s3rver's list continuation tokens use DES, which OpenSSL 3 keeps in its legacy provider: without it every
    // listing of more than 1000 keys fails (an InternalError)
    const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', script, this.dir, String(this.port)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const log = createWriteStream(this.logFile, { flags: 'a' });
    child.stderr!.pipe(log);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('s3rver did not start within 10 s')), 10_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited with ${code} while starting`));
      });
    });
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    child.kill('SIGKILL');
    await waitForExit(child, 10_000);
  }
}

/** One sigdesk process (`api` or `worker`) of the compiled build, started and stopped by the suite. */
export class SigdeskProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  /** Every end of this process, the ones the suite caused and the others. */
  readonly exits: Exit[] = [];
  /** Errors it logged (level 50 and above) or printed (a crash), by message, with how often. */
  readonly errors = new Map<string, number>();

  constructor(
    readonly role: 'api' | 'worker',
    private readonly env: () => Record<string, string>,
    private readonly logFile: string,
  ) {}

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process and resolves once it prints that it is ready (its start-up summary). */
  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    this.log.write(`\n===== fault suite: starting the ${this.role} (${new Date().toISOString()})\n`);
    const main = join(ROOT, 'dist', 'apps', this.role, 'src', 'main.js');
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: { ...this.env(), ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let ready = false;
    let output = '';
    let pending = '';
    const collect = (chunk: Buffer) => {
      this.log!.write(chunk);
      if (!ready) {
        output += chunk.toString('utf8');
        ready = output.includes('sigdesk is ready');
      }
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        let message: string | undefined;
        try {
          const logged = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
          if ((logged.level ?? 0) >= 50) message = `${logged.msg ?? ''}: ${logged.err?.message ?? ''}`;
        } catch {
          // not a log line: the first line of an error printed by a crash
          if (/^(\w*Error\b|error:)/.test(line)) message = line;
        }
        if (message) this.errors.set(message.slice(0, 200), (this.errors.get(message.slice(0, 200)) ?? 0) + 1);
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', (code, signal) => {
      const expected = this.expecting;
      this.expecting = false;
      this.exits.push({ code, signal, at: now(), expected });
    });
    const deadline = now() + 90_000;
    while (!ready) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `the ${this.role} exited while starting (${child.signalCode ?? child.exitCode}): see ${this.logFile}`,
        );
      }
      if (now() > deadline) throw new Error(`the ${this.role} was not ready within 90 s: see ${this.logFile}`);
      await sleep(50);
    }
  }

  private expecting = false;

  /** Sends a signal that does not end it (SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child!.kill(signal);
  }

  /** kill -9: what a crash or an OOM kill does. */
  async kill9(): Promise<void> {
    if (!this.alive) return;
    this.expecting = true;
    this.child!.kill('SIGKILL');
    await waitForExit(this.child!, 10_000);
  }

  /** SIGTERM, then waits for the process to end by itself; false when it had not within `timeoutMs`. */
  async terminate(timeoutMs: number): Promise<boolean> {
    if (!this.alive) return true;
    this.expecting = true;
    this.child!.kill('SIGTERM');
    return waitForExit(this.child!, timeoutMs);
  }

  /** Exits the suite did not cause, since `since`. */
  unexpectedExitsSince(since: number): Exit[] {
    return this.exits.filter((e) => !e.expected && e.at >= since);
  }

  /** Stops it for good: SIGTERM, SIGKILL after 20 s. */
  async close(): Promise<void> {
    if (this.alive && !(await this.terminate(20_000))) await this.kill9();
    await new Promise((done) => (this.log ? this.log.end(done) : done(undefined)));
    this.log = undefined;
  }
}
