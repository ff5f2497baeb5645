import { randomUUID } from 'node:crypto';
import { CaseNotifier, verifyWebhookSignature, WebhookDeliverer } from '@sigdesk/notifications';
import { JobName, jobIdFor, JobQueueService } from '@sigdesk/queues';
import {
  ApiClient,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  TestDnsServer,
  TestEnvironment,
  eventually,
  ReceivedRequest,
  WebhookReceiver,
} from '@sigdesk/testing';
import { CreatedCase, deliveryRow, notify, registerWebhook, submitCase } from './support/webhooks';

function deliveriesOf(env: TestEnvironment, webhookId: string) {
  return env.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('webhook_id', '=', webhookId)
    .orderBy('created_at', 'desc')
    .execute();
}

async function latestDelivery(env: TestEnvironment, webhookId: string) {
  const [latest] = await deliveriesOf(env, webhookId);
  if (!latest) throw new Error(`webhook ${webhookId} has no delivery`);
  return latest;
}

/**
 * The receivers run on loopback, which an installation allows only in development; the public names the tests
 * register resolve through a DNS server of their own.
 */
async function webhookTestDns(): Promise<{ dns: TestDnsServer; env: Record<string, string> }> {
  const dns = await TestDnsServer.start();
  for (const name of [
    'hooks.example.com',
    'again.example.com',
    ...Array.from({ length: 12 }, (_, i) => `h${i}.example.com`),
  ]) {
    dns.set(name, ['93.184.215.14']);
  }
  return { dns, env: { SIGDESK_WEBHOOKS_ALLOW_LOOPBACK: 'true', SIGDESK_WEBHOOKS_DNS_SERVERS: dns.address } };
}

/** Depends on libs/api importing NotificationsHttpModule (the routes) and on CaseNotifier being in the app. */
describe('webhooks', () => {
  let env: TestEnvironment;
  let dns: TestDnsServer;
  let customer: SeededCustomer;
  let receiver: WebhookReceiver;
  let deliverer: WebhookDeliverer;
  let theCase: CreatedCase;

  beforeAll(async () => {
    const testDns = await webhookTestDns();
    dns = testDns.dns;
    // no worker: deliveries are sent by calling the deliverer, one attempt at a time
    env = await startTestEnvironment({ worker: false, env: testDns.env });
    await seedRelease(env, 100);
    customer = await seedCustomer(env, { tier: 'msa_start' });
    receiver = await WebhookReceiver.start();
    deliverer = env.sigdesk.app.get(WebhookDeliverer);
    // submitted before any webhook exists: only the changes the tests make are notified
    theCase = await submitCase(customer);
  });
  afterAll(async () => {
    await receiver?.close();
    await env?.close();
    await dns?.close();
  });
  beforeEach(() => {
    receiver.respond = () => 200;
  });
  // each test registers what it needs: stay under the limit of active webhooks
  afterEach(async () => {
    for (const webhook of (await customer.client.get('/v1/webhooks')).body.items) {
      await customer.client.request('DELETE', `/v1/webhooks/${webhook.id}`);
    }
  });

  describe('registering', () => {
    it('shows the secret once, on creation, and lists webhooks without it', async () => {
      const created = await customer.client.post('/v1/webhooks', { url: `${receiver.url}/hooks/list` });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        url: `${receiver.url}/hooks/list`,
        secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        createdAt: expect.any(String),
      });
      const list = await customer.client.get('/v1/webhooks');
      expect(list.status).toBe(200);
      const listed = list.body.items.find((w: any) => w.id === created.body.id);
      expect(listed).toEqual({ id: created.body.id, url: created.body.url, createdAt: created.body.createdAt });
      expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
    });

    it('accepts https anywhere and plain http to loopback hosts only', async () => {
      const fresh = await seedCustomer(env, { name: 'Url Checks' });
      for (const url of [
        'https://hooks.example.com/sigdesk',
        'http://localhost:9/h',
        'http://[::1]:9/h',
        'http://127.1.2.3/h',
      ]) {
        expect({ url, status: (await fresh.client.post('/v1/webhooks', { url })).status }).toEqual({
          url,
          status: 201,
        });
      }
      for (const url of ['http://hooks.example.com/sigdesk', 'http://10.0.0.8/h', 'ftp://127.0.0.1/h', 'no url']) {
        const res = await fresh.client.post('/v1/webhooks', { url });
        expect({ url, status: res.status, error: res.body.error }).toEqual({
          url,
          status: 400,
          error: 'invalid_input',
        });
        expect(res.body.fields.map((f: any) => f.field)).toEqual(['url']);
      }
      expect((await fresh.client.post('/v1/webhooks', {})).status).toBe(400);
      expect((await fresh.client.post('/v1/webhooks', { url: 'https://a.example', events: ['*'] })).status).toBe(400);
      expect((await fresh.client.get('/v1/webhooks')).body.items).toHaveLength(4);
    });

    it('allows ten active webhooks per organisation, even when registered concurrently', async () => {
      const fresh = await seedCustomer(env, { name: 'Many Hooks' });
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => fresh.client.post('/v1/webhooks', { url: `https://h${i}.example.com/` })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([...Array(10).fill(201), 422, 422]);
      const refused = results.find((r) => r.status === 422)!;
      expect(refused.body).toMatchObject({ error: 'too_many_webhooks', limit: 10 });
      const one = results.find((r) => r.status === 201)!;
      expect((await fresh.client.request('DELETE', `/v1/webhooks/${one.body.id}`)).status).toBe(204);
      expect((await fresh.client.post('/v1/webhooks', { url: 'https://again.example.com/' })).status).toBe(201);
      expect((await fresh.client.get('/v1/webhooks')).body.items).toHaveLength(10);
    });

    it("hides an organisation's webhooks from another, which can neither see nor delete them", async () => {
      const hook = await registerWebhook(customer, `${receiver.url}/hooks/private`);
      const other = await seedCustomer(env, { tier: 'standard', name: 'Nosy Corp' });
      expect((await other.client.get('/v1/webhooks')).body.items).toEqual([]);
      expect((await other.client.request('DELETE', `/v1/webhooks/${hook.id}`)).status).toBe(404);
      expect((await other.client.get(`/v1/webhooks/${hook.id}/deliveries`)).status).toBe(404);
      const mine = await customer.client.get('/v1/webhooks');
      expect(mine.body.items.map((w: any) => w.id)).toContain(hook.id);
    });

    it('keeps webhooks to customer keys', async () => {
      const hook = await registerWebhook(customer, `${receiver.url}/hooks/roles`);
      const analyst = await seedKey(env, 'analyst');
      const admin = new ApiClient(env.url, env.adminKey);
      for (const client of [analyst, admin]) {
        expect((await client.get('/v1/webhooks')).status).toBe(403);
        expect((await client.post('/v1/webhooks', { url: 'https://hooks.example.com/' })).status).toBe(403);
        expect((await client.request('DELETE', `/v1/webhooks/${hook.id}`)).status).toBe(403);
        expect((await client.get(`/v1/webhooks/${hook.id}/deliveries`)).status).toBe(403);
      }
      expect((await new ApiClient(env.url).get('/v1/webhooks')).status).toBe(401);
      expect((await customer.client.get('/v1/webhooks')).body.items.map((w: any) => w.id)).toContain(hook.id);
    });
  });

  describe('writing deliveries with a status change', () => {
    it('writes one delivery and one deliver job per active webhook, in the transaction', async () => {
      const fresh = await seedCustomer(env, { name: 'Two Hooks' });
      const c = await submitCase(fresh);
      const first = await registerWebhook(fresh, `${receiver.url}/hooks/a`);
      const second = await registerWebhook(fresh, `${receiver.url}/hooks/b`);
      const disabled = await registerWebhook(fresh, `${receiver.url}/hooks/c`);
      await fresh.client.request('DELETE', `/v1/webhooks/${disabled.id}`);

      const at = new Date();
      await notify(env, c, 'in_review', 'confirmed', { verdict: 'confirmed' }, at);

      const deliveries = await env.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('case_id', '=', c.id)
        .execute();
      expect(deliveries.map((d) => d.webhook_id).sort()).toEqual([first.id, second.id].sort());
      for (const delivery of deliveries) {
        expect(delivery).toMatchObject({ event_type: 'case.status_changed', status: 'pending', attempts: 0 });
        expect(delivery.payload).toEqual({
          id: delivery.id,
          type: 'case.status_changed',
          occurredAt: at.toISOString(),
          case: {
            id: c.id,
            reference: c.reference,
            status: 'confirmed',
            previousStatus: 'in_review',
            verdict: 'confirmed',
          },
        });
      }
      const jobs = await env.db
        .selectFrom('outbox')
        .select(['queue', 'job_name', 'job_id', 'payload'])
        .where(
          'job_id',
          'in',
          deliveries.map((d) => jobIdFor(JobName.DeliverWebhook, d.id)),
        )
        .execute();
      expect(jobs.map((j) => j.payload).sort((a: any, b: any) => a.deliveryId.localeCompare(b.deliveryId))).toEqual(
        deliveries.map((d) => ({ deliveryId: d.id })).sort((a, b) => a.deliveryId.localeCompare(b.deliveryId)),
      );
      expect(jobs.every((j) => j.queue === 'notifications' && j.job_name === JobName.DeliverWebhook)).toBe(true);
    });

    it('writes no delivery and no job when the transaction rolls back', async () => {
      await registerWebhook(customer, `${receiver.url}/hooks/rollback`);
      const count = async () => {
        const [deliveries, jobs] = await Promise.all([
          env.db
            .selectFrom('webhook_deliveries')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow(),
          env.db
            .selectFrom('outbox')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('job_name', '=', JobName.DeliverWebhook)
            .executeTakeFirstOrThrow(),
        ]);
        return { deliveries: Number(deliveries.n), jobs: Number(jobs.n) };
      };
      const before = await count();
      let writtenInside = 0;
      await expect(
        env.db.transaction().execute(async (trx) => {
          await env.sigdesk.app.get(CaseNotifier).statusChanged(trx, {
            caseId: theCase.id,
            organizationId: customer.organizationId,
            reference: theCase.reference,
            fromStatus: 'queued',
            toStatus: 'in_review',
            at: new Date(),
          });
          const inside = await trx
            .selectFrom('webhook_deliveries')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow();
          writtenInside = Number(inside.n) - before.deliveries;
          throw new Error('the status change failed');
        }),
      ).rejects.toThrow('the status change failed');
      expect(writtenInside).toBeGreaterThan(0);
      expect(await count()).toEqual(before);
    });
  });

  describe('sending', () => {
    it('POSTs the event signed with the secret shown at creation, and records it delivered', async () => {
      const hook = await registerWebhook(customer, `${receiver.url}/hooks/signed`);
      const at = new Date();
      await notify(env, theCase, 'queued', 'in_review', undefined, at);
      const delivery = await latestDelivery(env, hook.id);

      expect(await deliverer.deliver(delivery.id)).toEqual({ delivered: true });

      const [request] = receiver.requestsFor(delivery.id);
      expect(request).toMatchObject({ method: 'POST', path: '/hooks/signed' });
      expect(request.headers).toMatchObject({
        'content-type': 'application/json',
        'user-agent': 'sigdesk-webhooks/1',
        'sigdesk-delivery': delivery.id,
      });
      const timestamp = Number(request.headers['sigdesk-timestamp']);
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(30);
      expect(request.headers['sigdesk-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(
        verifyWebhookSignature(
          hook.secret,
          request.headers['sigdesk-timestamp'] as string,
          request.body,
          request.headers['sigdesk-signature'] as string,
        ),
      ).toBe(true);
      expect(
        verifyWebhookSignature(
          'another secret',
          request.headers['sigdesk-timestamp'] as string,
          request.body,
          request.headers['sigdesk-signature'] as string,
        ),
      ).toBe(false);
      expect(request.json).toEqual({
        id: delivery.id,
        type: 'case.status_changed',
        occurredAt: at.toISOString(),
        case: { id: theCase.id, reference: theCase.reference, status: 'in_review', previousStatus: 'queued' },
      });

      expect(await deliveryRow(env, delivery.id)).toMatchObject({
        status: 'delivered',
        attempts: 1,
        last_result: 'delivered',
        last_status_code: 200,
        last_error: null,
        delivered_at: expect.any(Date),
        last_attempt_at: expect.any(Date),
      });
      const listed = await customer.client.get(`/v1/webhooks/${hook.id}/deliveries`);
      expect(listed.status).toBe(200);
      expect(listed.body.items[0]).toMatchObject({
        id: delivery.id,
        eventType: 'case.status_changed',
        caseId: theCase.id,
        status: 'delivered',
        attempts: 1,
        lastResult: 'delivered',
        lastStatusCode: 200,
        lastError: null,
        createdAt: expect.any(String),
        deliveredAt: expect.any(String),
      });
    });

    it('sends a delivered delivery once, however many times its job runs', async () => {
      const hook = await registerWebhook(customer, `${receiver.url}/hooks/once`);
      await notify(env, theCase, 'queued', 'in_review');
      const delivery = await latestDelivery(env, hook.id);
      expect(await deliverer.deliver(delivery.id)).toEqual({ delivered: true });
      expect(await deliverer.deliver(delivery.id)).toEqual({ delivered: false });
      expect(await deliverer.deliver(delivery.id, true)).toEqual({ delivered: false });
      expect(receiver.requestsFor(delivery.id)).toHaveLength(1);
      expect((await deliveryRow(env, delivery.id)).attempts).toBe(1);
    });

    it('records each failed attempt and throws, then delivers once the receiver recovers', async () => {
      const hook = await registerWebhook(customer, `${receiver.url}/hooks/flaky`);
      await notify(env, theCase, 'in_review', 'awaiting_customer', { message: 'Which product build?' });
      const delivery = await latestDelivery(env, hook.id);
      receiver.respond = () => 500;

      await expect(deliverer.deliver(delivery.id)).rejects.toThrow(/HTTP 500/);
      await expect(deliverer.deliver(delivery.id)).rejects.toThrow(/HTTP 500/);
      const failing = await deliveryRow(env, delivery.id);
      expect(failing).toMatchObject({
        status: 'pending',
        attempts: 2,
        last_result: 'receiver_error',
        last_status_code: 500,
        last_error: 'The receiver answered HTTP 500.',
        last_attempt_at: expect.any(Date),
        delivered_at: null,
      });
      const whileFailing = await customer.client.get(`/v1/webhooks/${hook.id}/deliveries`);
      expect(whileFailing.body.items[0]).toMatchObject({ status: 'pending', attempts: 2, lastStatusCode: 500 });

      receiver.respond = () => 204;
      expect(await deliverer.deliver(delivery.id)).toEqual({ delivered: true });
      expect(await deliveryRow(env, delivery.id)).toMatchObject({
        status: 'delivered',
        attempts: 3,
        last_status_code: 204,
        last_error: null,
      });
      const sent = receiver.requestsFor(delivery.id);
      expect(sent).toHaveLength(3);
      // each attempt is signed afresh, over the same body
      expect(new Set(sent.map((r) => r.body)).size).toBe(1);
      expect(
        sent.every((r) =>
          verifyWebhookSignature(
            hook.secret,
            r.headers['sigdesk-timestamp'] as string,
            r.body,
            r.headers['sigdesk-signature'] as string,
          ),
        ),
      ).toBe(true);
      expect(sent[2].json.case).toMatchObject({ status: 'awaiting_customer', message: 'Which product build?' });
    });

    it('gives a delivery up when its last attempt fails', async () => {
      const hook = await registerWebhook(customer, `${receiver.url}/hooks/down`);
      await notify(env, theCase, 'queued', 'in_review');
      const delivery = await latestDelivery(env, hook.id);
      receiver.respond = () => 503;
      await expect(deliverer.deliver(delivery.id, true)).rejects.toThrow(/HTTP 503/);
      expect(await deliveryRow(env, delivery.id)).toMatchObject({
        status: 'failed',
        attempts: 1,
        last_status_code: 503,
      });
      receiver.respond = () => 200;
      expect(await deliverer.deliver(delivery.id)).toEqual({ delivered: false });
      expect(receiver.requestsFor(delivery.id)).toHaveLength(1);
    });

    it('does not follow a redirect: a 3xx is a failure', async () => {
      const hook = await registerWebhook(customer, `${receiver.url}/hooks/moved-away`);
      await notify(env, theCase, 'queued', 'in_review');
      const delivery = await latestDelivery(env, hook.id);
      receiver.respond = (r) => (r.path === '/moved' ? 200 : 302);
      await expect(deliverer.deliver(delivery.id)).rejects.toThrow(/HTTP 302/);
      expect(receiver.requests.filter((r) => r.path === '/moved')).toHaveLength(0);
      expect(await deliveryRow(env, delivery.id)).toMatchObject({ status: 'pending', last_status_code: 302 });
    });

    it('records a receiver that does not answer at all, without telling the customer why', async () => {
      const gone = await WebhookReceiver.start();
      const url = `${gone.url}/hooks/gone`;
      await gone.close();
      const hook = await registerWebhook(customer, url);
      await notify(env, theCase, 'queued', 'in_review');
      const delivery = await latestDelivery(env, hook.id);
      // the detail is the operators' (the job's failure, the logs)
      await expect(deliverer.deliver(delivery.id)).rejects.toThrow(/ECONNREFUSED/);
      const row = await deliveryRow(env, delivery.id);
      expect(row).toMatchObject({
        status: 'pending',
        attempts: 1,
        last_result: 'unreachable',
        last_status_code: null,
        last_error: 'The receiver could not be reached, or did not answer in time.',
      });
      const listed = await customer.client.get(`/v1/webhooks/${hook.id}/deliveries`);
      expect(listed.body.items[0]).toMatchObject({ lastResult: 'unreachable', lastStatusCode: null });
      expect(JSON.stringify(listed.body)).not.toContain('ECONNREFUSED');
    });

    it('skips a delivery whose webhook was disabled after it was written', async () => {
      const hook = await registerWebhook(customer, `${receiver.url}/hooks/disabled`);
      await notify(env, theCase, 'queued', 'in_review');
      const delivery = await latestDelivery(env, hook.id);
      expect((await customer.client.request('DELETE', `/v1/webhooks/${hook.id}`)).status).toBe(204);
      expect((await customer.client.get('/v1/webhooks')).body.items.map((w: any) => w.id)).not.toContain(hook.id);

      expect(await deliverer.deliver(delivery.id)).toEqual({ delivered: false });
      expect(receiver.requestsFor(delivery.id)).toHaveLength(0);
      expect(await deliveryRow(env, delivery.id)).toMatchObject({
        status: 'failed',
        attempts: 0,
        last_result: 'webhook_disabled',
        last_error: 'webhook disabled',
      });
      // its history stays readable, and a disabled webhook is not written to any more
      const history = await customer.client.get(`/v1/webhooks/${hook.id}/deliveries`);
      expect(history.body.items).toEqual([expect.objectContaining({ id: delivery.id, lastError: 'webhook disabled' })]);
      await notify(env, theCase, 'in_review', 'queued');
      expect(await deliveriesOf(env, hook.id)).toHaveLength(1);
    });

    it('refuses, without retries, a job whose delivery no longer exists', async () => {
      await expect(deliverer.deliver(randomUUID())).rejects.toMatchObject({ name: 'UnrecoverableError' });
    });
  });

  describe('POST /v1/webhooks/:id/test', () => {
    it('queues a signed webhook.test delivery, listed with the others; one at a time per webhook', async () => {
      const hook = await registerWebhook(customer, `${receiver.url}/hooks/test`);
      const sent = await customer.client.post(`/v1/webhooks/${hook.id}/test`);
      expect(sent.status).toBe(202);
      expect(sent.body).toMatchObject({ eventType: 'webhook.test', caseId: null, status: 'pending', attempts: 0 });
      // another while the first is still to be sent: refused, nothing stored
      const again = await customer.client.post(`/v1/webhooks/${hook.id}/test`);
      expect(again.status).toBe(409);
      expect(again.body.error).toBe('test_delivery_pending');
      expect(await deliveriesOf(env, hook.id)).toHaveLength(1);

      expect(await deliverer.deliver(sent.body.id)).toEqual({ delivered: true });
      const [request] = receiver.requestsFor(sent.body.id);
      expect(request.headers['sigdesk-event']).toBe('webhook.test');
      expect(
        verifyWebhookSignature(
          hook.secret,
          request.headers['sigdesk-timestamp'] as string,
          request.body,
          request.headers['sigdesk-signature'] as string,
        ),
      ).toBe(true);
      expect(request.json).toEqual({
        id: sent.body.id,
        type: 'webhook.test',
        occurredAt: expect.any(String),
        webhook: { id: hook.id, url: `${receiver.url}/hooks/test` },
      });
      const listed = await customer.client.get(`/v1/webhooks/${hook.id}/deliveries`);
      expect(listed.body.items).toEqual([
        expect.objectContaining({ id: sent.body.id, status: 'delivered', lastStatusCode: 200, attempts: 1 }),
      ]);
      // delivered: the next test may go
      expect((await customer.client.post(`/v1/webhooks/${hook.id}/test`)).status).toBe(202);
    });

    it("refuses another organisation's webhook, a deleted one, a malformed id and other roles", async () => {
      const hook = await registerWebhook(customer, `${receiver.url}/hooks/test-refused`);
      const other = await seedCustomer(env, { name: 'Other Test Sender' });
      expect((await other.client.post(`/v1/webhooks/${hook.id}/test`)).status).toBe(404);
      expect((await other.client.post(`/v1/webhooks/${randomUUID()}/test`)).status).toBe(404);
      expect((await customer.client.post('/v1/webhooks/not-an-id/test')).status).toBe(400);
      const analyst = await seedKey(env, 'analyst');
      expect((await analyst.post(`/v1/webhooks/${hook.id}/test`)).status).toBe(403);
      expect((await new ApiClient(env.url).post(`/v1/webhooks/${hook.id}/test`)).status).toBe(401);
      await customer.client.request('DELETE', `/v1/webhooks/${hook.id}`);
      expect((await customer.client.post(`/v1/webhooks/${hook.id}/test`)).status).toBe(404);
      expect(await deliveriesOf(env, hook.id)).toEqual([]);
    });
  });

  describe('GET /v1/webhooks/:id/deliveries', () => {
    it('pages newest first with an opaque cursor, also through changes made in one transaction', async () => {
      const hook = await registerWebhook(customer, `${receiver.url}/hooks/paged`);
      const change = { caseId: theCase.id, organizationId: customer.organizationId, reference: theCase.reference };
      await env.db.transaction().execute(async (trx) => {
        const notifier = env.sigdesk.app.get(CaseNotifier);
        await notifier.statusChanged(trx, { ...change, fromStatus: 'received', toStatus: 'queued', at: new Date() });
        await notifier.statusChanged(trx, { ...change, fromStatus: 'queued', toStatus: 'in_review', at: new Date() });
        await notifier.statusChanged(trx, {
          ...change,
          fromStatus: 'in_review',
          toStatus: 'confirmed',
          at: new Date(),
        });
      });
      await notify(env, theCase, 'confirmed', 'fix_scheduled');
      await notify(env, theCase, 'fix_scheduled', 'fixed', { fixedInDatabaseVersion: 101 });
      const statusOf = new Map(
        (await deliveriesOf(env, hook.id)).map((d) => [d.id, (d.payload as any).case.status as string]),
      );

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await customer.client.get(
          `/v1/webhooks/${hook.id}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((d: any) => d.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen.map((id) => statusOf.get(id))).toEqual([
        'fixed',
        'fix_scheduled',
        'confirmed',
        'in_review',
        'queued',
      ]);
    });

    it('refuses a forged cursor and unknown parameters with 400', async () => {
      const hook = await registerWebhook(customer, `${receiver.url}/hooks/bad-query`);
      const base = `/v1/webhooks/${hook.id}/deliveries`;
      expect((await customer.client.get(`${base}?cursor=bm9wZQ`)).body.error).toBe('invalid_cursor');
      expect((await customer.client.get(`${base}?limit=0`)).status).toBe(400);
      expect((await customer.client.get(`${base}?colour=red`)).status).toBe(400);
      expect((await customer.client.get('/v1/webhooks/not-an-id/deliveries')).status).toBe(400);
      expect((await customer.client.get(`/v1/webhooks/${randomUUID()}/deliveries`)).status).toBe(404);
    });
  });
});

/**
 * Through the real worker. Depends on the wiring: a processor for the notifications queue that calls
 * `WebhookDeliverer.deliver(deliveryId, isFinalAttempt)`, and (last test) the status changes of intake calling
 * `CaseNotifier.statusChanged`.
 */
describe('webhooks through the queue', () => {
  let env: TestEnvironment;
  let dns: TestDnsServer;
  let customer: SeededCustomer;
  let receiver: WebhookReceiver;
  let hook: { id: string; secret: string };

  beforeAll(async () => {
    const testDns = await webhookTestDns();
    dns = testDns.dns;
    env = await startTestEnvironment({ env: testDns.env });
    await seedRelease(env, 100);
    customer = await seedCustomer(env, { tier: 'msa_start' });
    receiver = await WebhookReceiver.start();
    hook = await registerWebhook(customer, `${receiver.url}/hooks/queue`);
  });
  afterAll(async () => {
    await receiver?.close();
    await env?.close();
    await dns?.close();
  });

  /** What a status change does after its commit: relay the outbox now rather than at the next periodic relay. */
  async function relay() {
    await env.sigdesk.app.get(JobQueueService).relayOutbox();
  }

  it('delivers a committed status change through the outbox and the notifications queue, signed', async () => {
    const c = await submitCase(customer);
    await notify(env, c, 'queued', 'in_review', { assignedTo: 'an analyst' });
    await relay();
    const request = await receiver.waitFor((r) => r.json?.case?.id === c.id && r.json.case.status === 'in_review');
    expect(
      verifyWebhookSignature(
        hook.secret,
        request.headers['sigdesk-timestamp'] as string,
        request.body,
        request.headers['sigdesk-signature'] as string,
      ),
    ).toBe(true);
    const deliveryId = request.headers['sigdesk-delivery'] as string;
    const delivered = await eventually(
      () => deliveryRow(env, deliveryId),
      (row) => row.status === 'delivered',
      10_000,
    );
    expect(delivered.status).toBe('delivered');
    expect(delivered.attempts).toBe(1);
  });

  it('retries a failing receiver with backoff until it answers', async () => {
    const c = await submitCase(customer);
    const isOurs = (r: ReceivedRequest) => r.json?.case?.id === c.id && r.json.case.status === 'declined';
    receiver.respond = (r) => (isOurs(r) && receiver.requests.filter(isOurs).length <= 2 ? 500 : 200);
    await notify(env, c, 'in_review', 'declined');
    await relay();
    const deliveryId = (await receiver.waitFor(isOurs)).headers['sigdesk-delivery'] as string;
    const delivered = await eventually(
      () => deliveryRow(env, deliveryId),
      (row) => row.status === 'delivered',
      40_000,
    );
    expect(delivered.status).toBe('delivered');
    expect(delivered).toMatchObject({ attempts: 3, last_status_code: 200, last_error: null });
    expect(receiver.requestsFor(deliveryId)).toHaveLength(3);
  });

  it("notifies the customer of a new submission's move to the queue", async () => {
    const c = await submitCase(customer);
    const request = await receiver.waitFor((r) => r.json?.case?.id === c.id && r.json.case.status === 'queued');
    expect(request.json.case).toMatchObject({ reference: c.reference, status: 'queued' });
  });
});
