import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { LiveStreams } from '@sigdesk/live';
import {
  ApiClient,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  TestEnvironment,
} from '@sigdesk/testing';
import { submitCase } from './support/cases';

interface ServerSentEvent {
  event: string;
  data: any;
}

/** A client of GET /v1/events: keeps every event it receives. */
class EventStream {
  readonly events: ServerSentEvent[] = [];
  ended = false;
  /** settles once the stream has ended, whoever ended it */
  finished: Promise<void> = Promise.resolve();
  private constructor(
    readonly status: number,
    readonly headers: Headers,
    private readonly controller: AbortController,
  ) {}

  static async open(env: TestEnvironment, key?: string): Promise<EventStream> {
    const controller = new AbortController();
    const res = await fetch(`${env.url}/v1/events`, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: controller.signal,
    });
    const stream = new EventStream(res.status, res.headers, controller);
    if (res.status !== 200) {
      (stream as { body?: unknown }).body = await res.json();
      return stream;
    }
    stream.finished = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) stream.events.push({ event, data: JSON.parse(data) });
          }
        }
      } catch {
        // aborted by the test
      }
      stream.ended = true;
    })();
    return stream;
  }

  async waitFor(match: (event: ServerSentEvent) => boolean, timeoutMs = 15_000): Promise<ServerSentEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such event in ${JSON.stringify(this.events)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  close(): void {
    this.controller.abort();
  }
}

/** Server-Sent Events from PostgreSQL's notifications: each caller hears what it may see, and no more. */
describe('live updates (GET /v1/events)', () => {
  let env: TestEnvironment;
  let alpha: SeededCustomer;
  let beta: SeededCustomer;
  let analyst: ApiClient;
  const streams: EventStream[] = [];

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
    await seedRelease(env, 1);
    alpha = await seedCustomer(env, { name: 'Alpha' });
    beta = await seedCustomer(env, { name: 'Beta' });
    analyst = await seedKey(env, 'analyst');
  });
  afterEach(async () => {
    const closing = streams.splice(0);
    for (const stream of closing) stream.close();
    await Promise.all(closing.map((stream) => stream.finished));
  });
  afterAll(async () => {
    await env?.close();
  });

  async function open(key?: string) {
    const stream = await EventStream.open(env, key);
    streams.push(stream);
    return stream;
  }

  async function submit(customer: SeededCustomer): Promise<string> {
    return (await submitCase(customer, { databaseVersion: '1' }, [{ name: 's.bin', content: randomBytes(64) }])).id;
  }

  it('tells a customer of their own cases only, by id, and analysts of every case', async () => {
    const [ofAlpha, ofBeta, ofAnalyst] = await Promise.all([open(alpha.key), open(beta.key), open(analyst.key)]);
    expect(ofAlpha.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(ofAlpha.headers.get('cache-control')).toBe('no-store');
    for (const stream of [ofAlpha, ofBeta, ofAnalyst]) {
      expect(await stream.waitFor((e) => e.event === 'ready')).toMatchObject({ data: { listening: true } });
    }

    const alphaCase = await submit(alpha);
    const told = await ofAlpha.waitFor((e) => e.event === 'case.changed' && e.data.caseId === alphaCase);
    expect(told.data).toEqual({ type: 'case.changed', caseId: alphaCase });
    const toAnalyst = await ofAnalyst.waitFor((e) => e.data.caseId === alphaCase);
    expect(toAnalyst.data).toMatchObject({ type: 'case.changed', caseId: alphaCase, event: expect.any(String) });

    // beta hears of its own case, and never heard of alpha's, which came first
    const betaCase = await submit(beta);
    await ofBeta.waitFor((e) => e.data.caseId === betaCase);
    expect(ofBeta.events.some((e) => e.data.caseId === alphaCase)).toBe(false);
    expect(JSON.stringify(ofBeta.events)).not.toContain(alpha.organizationId);
  });

  it('says resync when its connection to PostgreSQL was lost, then goes on', async () => {
    const stream = await open(analyst.key);
    await stream.waitFor((e) => e.event === 'ready');
    const { rows } = await sql<{ ended: boolean }>`
      SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
      WHERE application_name = 'sigdesk-live' AND datname = current_database()`.execute(env.db);
    expect(rows.map((r) => r.ended)).toEqual([true]);
    await stream.waitFor((e) => e.event === 'resync');

    // listening again: a case submitted once the listener is back is told
    const deadline = Date.now() + 20_000;
    let caseId = await submit(alpha);
    while (!stream.events.some((e) => e.data.caseId === caseId)) {
      if (Date.now() > deadline) throw new Error('no case event after the listener came back');
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (!stream.events.some((e) => e.data.caseId === caseId)) caseId = await submit(alpha);
    }
  });

  it('refuses callers without credentials, and a sixth stream of one key until one closes', async () => {
    const anonymous = await open();
    expect(anonymous.status).toBe(401);

    const five = await Promise.all([1, 2, 3, 4, 5].map(() => open(beta.key)));
    expect(five.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
    const sixth = await open(beta.key);
    expect(sixth.status).toBe(429);
    expect(sixth.headers.get('retry-after')).toBe('5');
    expect((sixth as unknown as { body: unknown }).body).toMatchObject({ error: 'too_many_streams' });
    // another key is not held back by beta's streams
    expect((await open(alpha.key)).status).toBe(200);

    five[0].close();
    const streamsOpen = env.sigdesk.app.get(LiveStreams);
    const deadline = Date.now() + 5_000;
    while (streamsOpen.count > 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await open(beta.key)).status).toBe(200);
  });

  it('ends a stream after its lifetime, so that a revoked key or session stops hearing', async () => {
    const live = env.sigdesk.app.get(LiveStreams);
    const before = live.limits;
    live.limits = { ...before, maxSeconds: 1 };
    try {
      const stream = await open(alpha.key);
      await stream.waitFor((e) => e.event === 'ready');
      const deadline = Date.now() + 5_000;
      while (!stream.ended && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stream.ended).toBe(true);
    } finally {
      live.limits = before;
    }
  });
});
