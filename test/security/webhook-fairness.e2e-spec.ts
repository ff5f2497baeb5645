import { JobName, jobIdFor, JobQueueService, QueueName } from '@sigdesk/queues';
import {
  eventually,
  seedCustomer,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  TcpListener,
  TestEnvironment,
  WebhookReceiver,
} from '@sigdesk/testing';
import { deliveryRow, notify, registerWebhook, relay, submitCase } from '../support/webhooks';

/** The defaults this test measures against: a tarpit holds an attempt for the whole of the total timeout. */
const TOTAL_TIMEOUT_MS = 10_000;

/**
 * Issue 11, one customer's slow receiver delays everyone: an organisation whose webhooks point at a server that
 * accepts connections and never answers must not hold back another organisation's deliveries.
 */
describe("a tarpit receiver delays only its owner's deliveries", () => {
  let env: TestEnvironment;
  let tarpit: TcpListener;
  let receiver: WebhookReceiver;
  let attacker: SeededCustomer;
  let bystander: SeededCustomer;

  beforeAll(async () => {
    // the worker runs with its default timeouts and concurrency; loopback is allowed for the local receivers
    env = await startTestEnvironment({ env: { SIGDESK_WEBHOOKS_ALLOW_LOOPBACK: 'true' } });
    await seedRelease(env, 100);
    tarpit = await TcpListener.start();
    receiver = await WebhookReceiver.start();
    attacker = await seedCustomer(env, { name: 'Tarpit Owner' });
    bystander = await seedCustomer(env, { name: 'Bystander' });
  });
  afterAll(async () => {
    await tarpit?.close();
    await receiver?.close();
    await env?.close();
  });

  it("delivers another organisation's event within seconds while ten webhooks hang on a tarpit", async () => {
    for (let i = 0; i < 10; i++) await registerWebhook(attacker, `http://127.0.0.1:${tarpit.port}/hook/${i}`);
    await registerWebhook(bystander, `${receiver.url}/hook`);
    const attackerCase = await submitCase(attacker);
    const bystanderCase = await submitCase(bystander);

    // fifty deliveries to the tarpit (and intake's ten): several times a worker's slots
    const stuck = [];
    for (let i = 0; i < 5; i++) stuck.push(...(await notify(env, attackerCase, 'queued', 'in_review')));
    expect(stuck).toHaveLength(50);
    await relay(env);
    const busy = await eventually(
      async () => tarpit.open,
      (open) => open >= 2,
      10_000,
    );
    expect(busy).toBeGreaterThanOrEqual(2);

    const [delivery] = await notify(env, bystanderCase, 'queued', 'in_review');
    const sentAt = Date.now();
    await relay(env);
    const arrived = await eventually(
      async () => receiver.requests.find((r) => r.headers['sigdesk-delivery'] === delivery.id),
      (request) => request !== undefined,
      TOTAL_TIMEOUT_MS * 4,
    );
    const waited = Date.now() - sentAt;

    expect(arrived).toBeDefined();
    // well under one tarpit attempt (10 s): the bystander never waited for a slot the tarpit held
    expect(waited).toBeLessThan(5_000);
    const row = await eventually(
      () => deliveryRow(env, delivery.id),
      (r) => r.status === 'delivered',
      5_000,
    );
    expect(row).toMatchObject({ status: 'delivered', last_result: 'delivered', attempts: 1 });
    // the tarpit's owner never held more than its share of the worker
    expect(tarpit.maxOpen).toBeLessThanOrEqual(env.config.webhooks.organizationConcurrency);
  });

  it('still retries the tarpit with backoff, a bounded number of times', async () => {
    const slow = await TcpListener.start();
    try {
      const owner = await seedCustomer(env, { name: 'Slow Receiver' });
      await registerWebhook(owner, `http://127.0.0.1:${slow.port}/hook`);
      const theCase = await submitCase(owner);
      const [delivery] = await notify(env, theCase, 'in_review', 'queued');
      await relay(env);

      const attempts = await eventually(
        async () => slow.deliveries.filter((d) => d.deliveryId === delivery.id),
        (seen) => seen.length >= 2,
        TOTAL_TIMEOUT_MS * 4,
      );
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      // the second attempt came after the first timed out and the backoff passed
      expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(TOTAL_TIMEOUT_MS + 1_500);
      const row = await eventually(
        () => deliveryRow(env, delivery.id),
        (r) => r.attempts >= 2 && r.last_result === 'unreachable',
        TOTAL_TIMEOUT_MS * 2,
      );
      expect(row).toMatchObject({ status: 'pending', last_result: 'unreachable', last_status_code: null });

      const job = await env.sigdesk.app
        .get(JobQueueService)
        .queue(QueueName.Notifications)
        .getJob(jobIdFor(JobName.DeliverWebhook, delivery.id));
      expect(job?.opts).toMatchObject({ attempts: 8, backoff: { type: 'exponential', delay: 2_000 } });
    } finally {
      await slow.close();
    }
  });
});
