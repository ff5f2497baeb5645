/**
 * The bounded load the faults happen under: a few clients, each posting small submissions (a new random sample each
 * time, some of them premium on an MSA Start contract) and reading cases back, one request at a time, every request
 * recorded with the phase (the fault) it started in.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { multipartFromBuffer, SUBMISSION_FIELDS } from '../../bench/support/harness';
import { now } from './services';

/** A request with no whole answer by then has hung. */
export const REQUEST_TIMEOUT_MS = 20_000;
/** Each submission's description carries this and the request's tag: the case is found again by it. */
export const TAG_PREFIX = 'fault-suite request ';

export interface Customer {
  name: string;
  organizationId: string;
  contractId: string;
  key: string;
  tier: 'standard' | 'msa_start';
  /** Premium incidents this customer may still be asked for (reserved when sent, given back when refused). */
  premiumLeft: number;
  /** Cases it was answered 201 for, to read back. */
  caseIds: string[];
}

export type RequestKind = 'submit' | 'get' | 'list' | 'upload';

export interface RequestRecord {
  phase: number;
  kind: RequestKind;
  startedAt: number;
  endedAt: number;
  /** HTTP status; 0 when no answer came. */
  status: number;
  /** Without an answer: the error code (`ECONNREFUSED`, `ECONNRESET`, `timeout`, ...). */
  error?: string;
  /** The error code and message of an answer that is neither 2xx nor 503. */
  detail?: string;
  tag?: string;
  customer?: Customer;
  premium?: boolean;
  sha256?: string;
  size?: number;
  caseId?: string;
}

interface Sent {
  status: number;
  body: string;
  error?: string;
}

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

/**
 * One request on a fresh connection, bounded in time: when no whole answer has come after `timeoutMs` the request
 * is abandoned and reported as `timeout`. Never rejects.
 */
export function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Buffer | Readable,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Sent> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Sent) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = http.request(url, { method, headers, agent });
    const timer = setTimeout(() => {
      finish({ status: 0, body: '', error: 'timeout' });
      request.destroy();
    }, timeoutMs);
    request.once('error', (error: NodeJS.ErrnoException) =>
      finish({ status: 0, body: '', error: error.code ?? error.message }),
    );
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', (error: NodeJS.ErrnoException) =>
        finish({ status: 0, body: '', error: error.code ?? error.message }),
      );
      response.once('end', () =>
        finish({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    if (body === undefined) request.end();
    else if (Buffer.isBuffer(body)) request.end(body);
    else {
      body.once('error', (error) => request.destroy(error));
      body.pipe(request);
    }
  });
}

function errorDetail(sent: Sent): string | undefined {
  if (sent.status === 0 || (sent.status >= 200 && sent.status < 300) || sent.status === 503) return undefined;
  try {
    const parsed = JSON.parse(sent.body) as { error?: string; message?: string };
    return `${parsed.error ?? '?'}: ${(parsed.message ?? '').slice(0, 160)}`;
  } catch {
    return sent.body.slice(0, 160);
  }
}

export interface LoadOptions {
  url: () => string;
  clients: number;
  /** A pause after each request of a client, so the load stays bounded. */
  thinkMs: number;
  sampleBytes: number;
  customers: Customer[];
}

/** The clients; `phase` is what every new request is recorded under. */
export class Load {
  readonly records: RequestRecord[] = [];
  /** Requests of the clients sent and not answered yet. */
  private readonly inFlight = new Set<RequestRecord>();
  phase = 0;
  private running = false;
  private loops: Array<Promise<void>> = [];

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    this.running = true;
    for (let i = 0; i < this.options.clients; i++) this.loops.push(this.client(i));
  }

  /** Stops the clients; requests in flight end (answered or timed out) first. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async client(index: number): Promise<void> {
    const customers = this.options.customers;
    let turn = index;
    while (this.running) {
      turn++;
      const customer = customers[turn % customers.length];
      const read = customer.caseIds.length > 0 && Math.random() < 0.3;
      let record: RequestRecord;
      if (read && Math.random() < 0.8) {
        const id = customer.caseIds[Math.floor(Math.random() * customer.caseIds.length)];
        record = await this.read(customer, 'get', `/v1/submissions/${id}`);
      } else if (read) {
        record = await this.read(customer, 'list', '/v1/submissions?limit=20');
      } else {
        const premium = this.premiumCustomer();
        record = await this.submit(premium ?? customer, premium !== undefined);
      }
      // a client that got no answer waits a little longer before it tries again, as real clients do
      await new Promise((done) => setTimeout(done, record.status === 0 ? 500 : this.options.thinkMs));
    }
  }

  /** About one submission in five is premium, while some MSA Start customer has incidents left. */
  private premiumCustomer(): Customer | undefined {
    if (Math.random() >= 0.2) return undefined;
    return this.options.customers.find((c) => c.tier === 'msa_start' && c.premiumLeft > 0);
  }

  private async read(customer: Customer, kind: RequestKind, path: string): Promise<RequestRecord> {
    const record: RequestRecord = { phase: this.phase, kind, startedAt: now(), endedAt: 0, status: 0, customer };
    this.inFlight.add(record);
    const sent = await send(`${this.options.url()}${path}`, 'GET', { authorization: `Bearer ${customer.key}` });
    this.settle(record, sent);
    return record;
  }

  private async submit(customer: Customer, premium: boolean): Promise<RequestRecord> {
    if (premium) customer.premiumLeft--;
    const content = randomBytes(this.options.sampleBytes);
    const tag = randomUUID();
    const severity = String(1 + Math.floor(Math.random() * 4));
    const body = multipartFromBuffer(
      {
        ...SUBMISSION_FIELDS,
        severity,
        ...(premium ? { premium: 'true' } : {}),
        description: `${TAG_PREFIX}${tag}`,
      },
      { field: 'sample', name: 'sample.bin', content },
    );
    const record: RequestRecord = {
      phase: this.phase,
      kind: 'submit',
      startedAt: now(),
      endedAt: 0,
      status: 0,
      tag,
      customer,
      premium,
      sha256: createHash('sha256').update(content).digest('hex'),
      size: content.length,
    };
    this.inFlight.add(record);
    const sent = await send(
      `${this.options.url()}/v1/submissions`,
      'POST',
      {
        authorization: `Bearer ${customer.key}`,
        'content-type': body.contentType,
        'content-length': String(body.length),
      },
      body.buffer,
    );
    this.settle(record, sent);
    if (sent.status === 201) {
      try {
        record.caseId = (JSON.parse(sent.body) as { id: string }).id;
        customer.caseIds.push(record.caseId);
      } catch {
        record.detail = `a 201 without a case: ${sent.body.slice(0, 160)}`;
      }
    } else if (premium && (sent.status !== 0 || sent.error === 'ECONNREFUSED')) {
      // answered without a case, or never received: the incident was not spent (a case stored anyway is found by
      // the reconciliation)
      customer.premiumLeft++;
    }
    return record;
  }

  /** Records a request made outside the clients (the large uploads of faults 7 and 8). */
  add(record: RequestRecord): void {
    this.records.push(record);
  }

  /** Whether a request of `phase` sent before `before` is still waiting for its answer. */
  waitingForAnswers(phase: number, before: number): boolean {
    for (const record of this.inFlight) if (record.phase === phase && record.startedAt < before) return true;
    return false;
  }

  private settle(record: RequestRecord, sent: Sent): void {
    this.inFlight.delete(record);
    record.endedAt = now();
    record.status = sent.status;
    record.error = sent.error;
    record.detail = errorDetail(sent);
    this.records.push(record);
  }
}

export interface SlowUpload {
  record: RequestRecord;
  /** Bytes of the body handed to the socket so far. */
  sent(): number;
  done: Promise<void>;
}

/**
 * One large submission whose body is sent at `bytesPerSecond` (random bytes, hashed on the way), so that it is in
 * flight when the suite breaks something. The record is complete when `done` resolves.
 */
export function slowUpload(
  url: string,
  customer: Customer,
  phase: number,
  bytes: number,
  bytesPerSecond: number,
): SlowUpload {
  const tag = randomUUID();
  const boundary = `----fault-suite-${randomBytes(12).toString('hex')}`;
  const fields = { ...SUBMISSION_FIELDS, description: `${TAG_PREFIX}${tag}` };
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  }
  head +=
    `--${boundary}\r\nContent-Disposition: form-data; name="sample"; filename="large.bin"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n';
  const headBytes = Buffer.from(head);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const hash = createHash('sha256');
  const record: RequestRecord = {
    phase,
    kind: 'upload',
    startedAt: now(),
    endedAt: 0,
    status: 0,
    tag,
    customer,
    premium: false,
    size: bytes,
  };
  let sentBytes = 0;
  const chunk = 64 * 1024;
  const pauseMs = (chunk / bytesPerSecond) * 1000;
  async function* body() {
    yield headBytes;
    for (let offset = 0; offset < bytes; offset += chunk) {
      const part = randomBytes(Math.min(chunk, bytes - offset));
      hash.update(part);
      sentBytes += part.length;
      yield part;
      await new Promise((done) => setTimeout(done, pauseMs));
    }
    record.sha256 = hash.digest('hex');
    yield tail;
  }
  const done = send(
    `${url}/v1/submissions`,
    'POST',
    {
      authorization: `Bearer ${customer.key}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(headBytes.length + bytes + tail.length),
    },
    Readable.from(body(), { objectMode: false }),
    REQUEST_TIMEOUT_MS + (bytes / bytesPerSecond) * 1000,
  ).then((answer) => {
    record.endedAt = now();
    record.status = answer.status;
    record.error = answer.error;
    record.detail = errorDetail(answer);
    if (answer.status === 201) {
      try {
        record.caseId = (JSON.parse(answer.body) as { id: string }).id;
      } catch {
        record.detail = `a 201 without a case: ${answer.body.slice(0, 160)}`;
      }
    }
  });
  return { record, sent: () => sentBytes, done };
}
