// `npm run test:bare`: sigdesk on a bare machine. Runs `npm start`'s command in a network namespace that has only its
// own loopback (`unshare --net`, as root), where this machine's PostgreSQL, Redis and anything else are unreachable,
// then submits a sample through the HTTP API and waits until intake has triaged it. It fails when sigdesk does not
// start, does not say it runs everything embedded, or does not see the sample through.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const INSIDE = process.argv.includes('--inside');
const START_TIMEOUT_MS = 120_000;
const INTAKE_TIMEOUT_MS = 60_000;

function step(message) {
  process.stdout.write(`test:bare: ${message}\n`);
}

function fail(message) {
  process.stderr.write(`test:bare: FAILED: ${message}\n`);
  process.exit(1);
}

if (!INSIDE) {
  if (process.getuid?.() !== 0) fail('run as root: a network namespace of its own needs `unshare --net`');
  const result = spawnSync('unshare', ['--net', '--', process.execPath, fileURLToPath(import.meta.url), '--inside'], {
    stdio: 'inherit',
    cwd: ROOT,
  });
  if (result.error) fail(`unshare: ${result.error.message}`);
  process.exit(result.status ?? 1);
}

/** Whether something accepts TCP connections at host:port (from inside the namespace). */
function answers(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1_000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function api(base, method, path, key, body) {
  const headers = { authorization: `Bearer ${key}` };
  let payload = body;
  if (body && !(body instanceof FormData)) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${base}${path}`, { method, headers, body: payload });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed };
}

function expectStatus(what, response, status) {
  if (response.status !== status) fail(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// 1. the namespace: its own loopback, and none of this machine's services
spawnSync('ip', ['link', 'set', 'lo', 'up'], { stdio: 'inherit' });
for (const [name, port] of [
  ['PostgreSQL', 5432],
  ['Redis', 6379],
]) {
  if (await answers('127.0.0.1', port)) fail(`${name} answers on 127.0.0.1:${port} inside the namespace`);
}
step("in a network namespace of its own: the machine's PostgreSQL and Redis are unreachable");

// 2. `npm start`: its build, then its command, with nothing configured but a data folder and a port
const start = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start;
const [build, run] = start.split('&&').map((part) => part.trim());
if (!build.startsWith('npm run build') || !run.startsWith('node ')) fail(`unexpected start script: ${start}`);
const built = spawnSync('sh', ['-c', build], { cwd: ROOT, stdio: 'inherit' });
if (built.status !== 0) fail(`${build} exited with ${built.status}`);

const dataDir = mkdtempSync(join(tmpdir(), 'sigdesk-bare-'));
const port = await freePort();
const env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), NODE_ENV: 'production', LOG_LEVEL: 'warn' };
for (const name of ['DATABASE_URL', 'REDIS_URL', 'S3_ENDPOINT', 'SIGDESK_BOOTSTRAP_ADMIN_KEY']) delete env[name];
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

step(`starting \`${run}\` with DATA_DIR=${dataDir}`);
const child = spawn('sh', ['-c', `exec ${run}`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
child.stdout.on('data', (chunk) => (output += chunk));
child.stderr.on('data', (chunk) => (output += chunk));
let exited;
child.once('exit', (code, signal) => (exited = signal ?? code));

async function stop() {
  if (exited === undefined) {
    child.kill('SIGTERM');
    for (let i = 0; i < 300 && exited === undefined; i++) await sleep(100);
    if (exited === undefined) child.kill('SIGKILL');
  }
}

async function finish(error) {
  await stop();
  if (error) {
    process.stderr.write(`--- sigdesk's output ---\n${output}\n`);
    const log = join(dataDir, 'postgres.log');
    if (existsSync(log)) process.stderr.write(`--- postgres.log ---\n${readFileSync(log, 'utf8').slice(-4000)}\n`);
    rmSync(dataDir, { recursive: true, force: true });
    fail(error.message ?? String(error));
  }
  rmSync(dataDir, { recursive: true, force: true });
  step('PASSED');
  process.exit(0);
}

try {
  const startedAt = Date.now();
  while (!output.includes('sigdesk is ready')) {
    if (exited !== undefined) throw new Error(`sigdesk exited (${exited}) before it was ready`);
    if (Date.now() - startedAt > START_TIMEOUT_MS) throw new Error('sigdesk was not ready in time');
    await sleep(100);
  }
  await sleep(200);
  const summary = output.slice(output.indexOf('sigdesk is ready')).split('\n\n')[0];
  step(`ready in ${Date.now() - startedAt} ms:\n${summary}`);
  for (const expected of [/PostgreSQL\s+embedded/, /queues\s+on PostgreSQL/, /S3\s+embedded/]) {
    if (!expected.test(summary)) throw new Error(`the summary does not say ${expected}`);
  }
  const base = summary.match(/API\s+(http:\/\/\S+)/)?.[1];
  const adminKey = summary.match(/admin key\s+(sdk_adm_\S+)/)?.[1];
  if (!base || !adminKey) throw new Error('the summary shows no API address or no admin key');

  // 3. the README's first steps, then a sample through intake
  const ready = await fetch(`${base}/health/ready`);
  const health = await ready.json();
  if (ready.status !== 200 || health.checks?.queues?.status !== 'up') {
    throw new Error(`/health/ready: ${ready.status} ${JSON.stringify(health)}`);
  }
  const released = new Date(Date.now() - 3_600_000).toISOString();
  expectStatus(
    'release',
    await api(base, 'POST', '/v1/admin/database-releases', adminKey, { version: 100, releasedAt: released }),
    201,
  );
  const org = expectStatus(
    'organization',
    await api(base, 'POST', '/v1/admin/organizations', adminKey, {
      name: 'Acme',
      timezone: 'Europe/Madrid',
      country: 'ES',
    }),
    201,
  );
  const year = new Date().getUTCFullYear();
  expectStatus(
    'contract',
    await api(base, 'POST', `/v1/admin/organizations/${org.id}/contracts`, adminKey, {
      tier: 'msa_start',
      startsOn: `${year - 1}-01-01`,
      endsOn: `${year + 1}-12-31`,
    }),
    201,
  );
  const { key } = expectStatus(
    'customer key',
    await api(base, 'POST', '/v1/admin/api-keys', adminKey, {
      role: 'customer',
      organizationId: org.id,
      name: 'portal',
    }),
    201,
  );
  const form = new FormData();
  for (const [name, value] of Object.entries({
    kind: 'false_negative',
    severity: '1',
    premium: 'true',
    product: 'KES',
    productVersion: '12.4',
    databaseVersion: '100',
    description: 'missed dropper',
  })) {
    form.append(name, value);
  }
  const eicar = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
  form.append('sample', new Blob([eicar]), 'eicar.com');
  const submission = expectStatus('submission', await api(base, 'POST', '/v1/submissions', key, form), 201);
  step(`submitted case ${submission.reference ?? submission.id} (${submission.status})`);

  const submittedAt = Date.now();
  let current = submission;
  while (current.status === 'queued') {
    if (Date.now() - submittedAt > INTAKE_TIMEOUT_MS) throw new Error('the case stayed queued: intake never ran');
    await sleep(200);
    current = expectStatus('case', await api(base, 'GET', `/v1/submissions/${submission.id}`, key), 200);
  }
  const outcome = current.fixedInDatabaseVersion ? ` (fixed in database ${current.fixedInDatabaseVersion})` : '';
  step(`through intake in ${Date.now() - submittedAt} ms: ${current.status}${outcome}`);

  // 4. a clean stop takes the embedded PostgreSQL with it
  const postmaster = join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(postmaster)) throw new Error('no embedded PostgreSQL is running under the data folder');
  await stop();
  if (exited !== 'SIGTERM' && exited !== 0) throw new Error(`sigdesk ended with ${exited} on SIGTERM`);
  if (existsSync(postmaster)) throw new Error('the embedded PostgreSQL is still running after sigdesk stopped');
  step('stopped on SIGTERM, and its PostgreSQL with it');
  await finish();
} catch (error) {
  await finish(error);
}
