import { sql } from 'kysely';
import type { CaseStatus } from '@sigdesk/db';
import { CaseNotifier } from '@sigdesk/notifications';
import { JobQueueService } from '@sigdesk/queues';
import { SeededCustomer, TestEnvironment } from '@sigdesk/testing';
import type { SubmittedCase as CreatedCase } from './cases';

/** An address outside every refused range (example.com's), that the tests never connect to. */
export const PUBLIC_ADDRESS = '93.184.215.14';

/** The webhook tests' cases: submitted through the API with the EICAR test file. */
export { submitCase, type SubmittedCase as CreatedCase } from './cases';

export async function registerWebhook(customer: SeededCustomer, url: string): Promise<{ id: string; secret: string }> {
  const res = await customer.client.post('/v1/webhooks', { url });
  if (res.status !== 201) throw new Error(`webhook ${url}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * A status change as the code that changes statuses reports it, committed; its deliveries, one per webhook. The change
 * carries a time of its own (by default a random one in the past), which tells its deliveries apart from those of other changes (intake's,
 * running meanwhile): every delivery's payload has it as `occurredAt`.
 */
export async function notify(
  env: TestEnvironment,
  c: CreatedCase,
  fromStatus: CaseStatus | null,
  toStatus: CaseStatus,
  data?: Record<string, unknown>,
  at = new Date(Date.now() - Math.floor(Math.random() * 1_000_000)),
) {
  await env.db.transaction().execute((trx) =>
    env.sigdesk.app.get(CaseNotifier).statusChanged(trx, {
      caseId: c.id,
      organizationId: c.organizationId,
      reference: c.reference,
      fromStatus,
      toStatus,
      at,
      data,
    }),
  );
  return env.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('case_id', '=', c.id)
    .where(sql<string>`payload->>'occurredAt'`, '=', at.toISOString())
    .orderBy('created_at')
    .execute();
}

/** What a status change does right after its commit: relay the outbox to the queues now. */
export async function relay(env: TestEnvironment): Promise<void> {
  await env.sigdesk.app.get(JobQueueService).relayOutbox();
}

export function deliveryRow(env: TestEnvironment, id: string) {
  return env.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function webhookCount(env: TestEnvironment, organizationId: string): Promise<number> {
  const { n } = await env.db
    .selectFrom('webhooks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return Number(n);
}
