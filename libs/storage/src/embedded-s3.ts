import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createS3Client } from './s3-client.factory';
import { startS3Server, S3Server } from './s3-server';
import { CHALLENGE_HEADER, PROOF_HEADER, S3Credentials, serverProof } from './s3-signature';

/** How often a process that uses another process's embedded S3 server tries to serve it itself (once that one stops). */
const TAKE_OVER_EVERY_MS = 2_000;
const START_LOCK_STALE_MS = 120_000;

/**
 * The S3 server sigdesk runs itself where no `S3_ENDPOINT` is given, so that it runs with nothing but Node.js.
 */
export interface EmbeddedS3 {
  endpoint: string;
  /** The keys that its requests are signed with. */
  credentials: S3Credentials;
  /** Where the keys come from: the file in the data directory, or the operator's variables. */
  keysFrom: string;
  /** Whether this process serves it now (else another process of the installation does). */
  readonly serving: boolean;
  /** What the operator should know about this start (the server moved to another port). */
  notice?: string;
  close(): Promise<void>;
}

export interface EmbeddedS3Options {
  /** sigdesk's data directory: objects in `s3/`, keys and port in `s3.json` (0600). */
  dataDir: string;
  region: string;
  /** The operator's keys (`S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`); else keys made at the first start and kept. */
  credentials?: S3Credentials;
  log?: (level: 'info' | 'warn', message: string) => void;
}

/** What `DATA_DIR/s3.json` keeps. */
interface EmbeddedS3State {
  port?: number;
  accessKeyId?: string;
  secretAccessKey?: string;
}

function readState(file: string): EmbeddedS3State {
  if (!existsSync(file)) return {};
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}): repair it or remove it to make new keys`);
  }
  const { port, accessKeyId, secretAccessKey } = (state ?? {}) as Record<string, unknown>;
  const valid =
    (port === undefined || (Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536)) &&
    (accessKeyId === undefined || typeof accessKeyId === 'string') &&
    (secretAccessKey === undefined || typeof secretAccessKey === 'string') &&
    (accessKeyId === undefined) === (secretAccessKey === undefined);
  if (!valid) throw new Error(`${file} is not what sigdesk wrote: repair it or remove it to make new keys`);
  // the file holds a secret: whatever made it readable to others, it is this user's alone again
  chmodSync(file, 0o600);
  return {
    port: port as number | undefined,
    accessKeyId: accessKeyId as string,
    secretAccessKey: secretAccessKey as string,
  };
}

/** Written whole (another process reads it while it starts), readable by this user only. */
function writeState(file: string, state: EmbeddedS3State): void {
  const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(partial, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(partial, file);
}

/** One process at a time picks the port and makes the keys of a data directory (a lock folder, stale after 2 min). */
async function withStartLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(dataDir, 's3.lock');
  const deadline = Date.now() + START_LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > START_LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
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

/**
 * Whether the server on `port` is this installation's: to a request signed with the installation's keys and a random
 * challenge, it answers with the proof that only a server knowing the secret can make. Another installation's server
 * refuses the signature; another program could answer anything, but not that (and would get sigdesk's uploads if it
 * were believed).
 */
async function servesThisInstallation(port: number, region: string, credentials: S3Credentials): Promise<boolean> {
  const client = createS3Client({ endpoint: `http://127.0.0.1:${port}`, region, ...credentials });
  const challenge = randomBytes(16).toString('hex');
  try {
    const url = await getSignedUrl(client, new ListBucketsCommand({}), { expiresIn: 60 });
    const proof = await new Promise<string | undefined>((resolve, reject) => {
      const request = get(url, { headers: { [CHALLENGE_HEADER]: challenge }, timeout: 3_000 }, (response) => {
        response.resume();
        const header = response.headers[PROOF_HEADER];
        resolve(response.statusCode === 200 && typeof header === 'string' ? header : undefined);
      });
      request.on('timeout', () => request.destroy(new Error('no answer within 3 s')));
      request.on('error', reject);
    });
    const expected = Buffer.from(serverProof(credentials.secretAccessKey, challenge));
    return proof !== undefined && proof.length === expected.length && timingSafeEqual(Buffer.from(proof), expected);
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

/**
 * Starts the embedded S3 server: on 127.0.0.1 only, answering only requests signed with the installation's keys,
 * data in `DATA_DIR/s3`.
 *
 * The keys are the operator's when given, else made at the first start and kept in `DATA_DIR/s3.json` (0600), like
 * the embedded PostgreSQL's password: never a constant that anyone could use. The port is a free loopback port chosen
 * at the first start and kept in the same file, so that the processes of one installation started apart (API and
 * worker) find the same server: the first serves it, the others use it (and one of them serves it once the first
 * stops). When that port is taken by another program (another installation's server), the server moves to a free
 * port, says so, and remembers it.
 */
export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  const log = options.log ?? (() => undefined);
  const warn = (message: string) => log('warn', message);
  mkdirSync(options.dataDir, { recursive: true });
  const stateFile = join(options.dataDir, 's3.json');
  const directory = join(options.dataDir, 's3');

  return withStartLock(options.dataDir, async () => {
    const state = readState(stateFile);
    const stored = state.accessKeyId
      ? { accessKeyId: state.accessKeyId, secretAccessKey: state.secretAccessKey! }
      : null;
    const credentials = options.credentials ??
      stored ?? {
        accessKeyId: `sigdesk-${randomBytes(8).toString('hex')}`,
        secretAccessKey: randomBytes(32).toString('base64url'),
      };
    let changed = !options.credentials && !stored;
    const serve = (port: number) => startS3Server({ directory, port, region: options.region, credentials, warn });

    let server: S3Server | undefined;
    let notice: string | undefined;
    let port = state.port;
    if (port !== undefined) {
      try {
        server = await serve(port);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        if (await servesThisInstallation(port, options.region, credentials)) {
          log('info', `using the embedded S3 server of another sigdesk process on 127.0.0.1:${port}`);
        } else {
          server = await serve(0);
          notice =
            `port ${port} of the embedded S3 server is taken by another program: it listens on ` +
            `127.0.0.1:${server.port} instead (kept in ${stateFile})`;
          warn(notice);
          port = server.port;
          changed = true;
        }
      }
    } else {
      server = await serve(0);
      port = server.port;
      changed = true;
    }
    if (changed) {
      writeState(stateFile, {
        port,
        ...(options.credentials
          ? {}
          : { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }),
      });
    }
    if (server) log('info', `embedded S3 server ready on ${server.endpoint}`);

    // a process using another's server serves it itself once that one stops (API and worker stopped apart)
    let takingOver = false;
    const takeOver = server
      ? undefined
      : setInterval(() => {
          if (server || takingOver) return;
          takingOver = true;
          serve(port)
            .then((started) => {
              server = started;
              clearInterval(takeOver);
              log(
                'info',
                `the embedded S3 server's process stopped: this process serves it now on ${started.endpoint}`,
              );
            })
            .catch((error: NodeJS.ErrnoException) => {
              if (error.code !== 'EADDRINUSE') warn(`the embedded S3 server could not be taken over: ${error.message}`);
            })
            .finally(() => (takingOver = false));
        }, TAKE_OVER_EVERY_MS).unref();

    return {
      endpoint: `http://127.0.0.1:${port}`,
      credentials,
      keysFrom: options.credentials ? 'S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY' : stateFile,
      get serving() {
        return Boolean(server);
      },
      notice,
      async close() {
        clearInterval(takeOver);
        // a takeover in flight ends before the server it may have started is closed
        while (takingOver) await sleep(20);
        await server?.close();
      },
    };
  });
}
