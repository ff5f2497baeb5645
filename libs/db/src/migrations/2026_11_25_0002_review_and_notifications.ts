import { Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- the business calendar of the response clock, with the country's public holidays
    ALTER TABLE organizations
      ADD COLUMN working_days smallint[] NOT NULL DEFAULT '{1,2,3,4,5}',
      ADD COLUMN work_start text NOT NULL DEFAULT '09:00',
      ADD COLUMN work_end text NOT NULL DEFAULT '18:00';

    ALTER TABLE cases
      ADD COLUMN assigned_to uuid REFERENCES api_keys (id),
      ADD COLUMN claimed_at timestamptz,
      ADD COLUMN last_analyst_activity_at timestamptz,
      ADD COLUMN first_response_at timestamptz,
      ADD COLUMN sla_paused_at timestamptz,
      ADD COLUMN sla_warning_at timestamptz,
      ADD COLUMN sla_warned_at timestamptz,
      ADD COLUMN sla_breached_at timestamptz,
      ADD COLUMN verdict text CHECK (verdict IN ('confirmed', 'not_reproduced', 'declined')),
      ADD COLUMN verdict_note text,
      ADD COLUMN verdict_at timestamptz,
      ADD COLUMN group_id uuid REFERENCES cases (id);

    -- the review queue, in the order work must be done (the ORDER BY of the queue uses the same expressions)
    CREATE INDEX cases_review_queue_idx ON cases
      ((tier <> 'msa_start'), (NOT premium), severity, response_due_at, created_at, id)
      WHERE status = 'queued';
    -- claims left untouched, and response clocks still running
    CREATE INDEX cases_claimed_idx ON cases (last_analyst_activity_at) WHERE status = 'in_review';
    CREATE INDEX cases_sla_breach_idx ON cases (response_due_at)
      WHERE first_response_at IS NULL AND sla_paused_at IS NULL AND sla_breached_at IS NULL;
    CREATE INDEX cases_sla_warning_idx ON cases (sla_warning_at)
      WHERE first_response_at IS NULL AND sla_paused_at IS NULL AND sla_warned_at IS NULL;

    -- a job relayed to its queue as a delayed job, to run at this time
    ALTER TABLE outbox ADD COLUMN run_at timestamptz;
    CREATE INDEX cases_group_idx ON cases (group_id) WHERE group_id IS NOT NULL;

    CREATE TABLE webhooks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations (id),
      url text NOT NULL,
      secret text NOT NULL,
      created_by uuid NOT NULL REFERENCES api_keys (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      disabled_at timestamptz
    );
    CREATE INDEX webhooks_organization_idx ON webhooks (organization_id) WHERE disabled_at IS NULL;

    CREATE TABLE webhook_deliveries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
      case_id uuid REFERENCES cases (id) ON DELETE CASCADE,
      event_type text NOT NULL,
      payload jsonb NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      last_status_code integer,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_attempt_at timestamptz,
      delivered_at timestamptz
    );
    CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE webhook_deliveries, webhooks;
    ALTER TABLE organizations DROP COLUMN working_days, DROP COLUMN work_start, DROP COLUMN work_end;
    ALTER TABLE outbox DROP COLUMN run_at;
    DROP INDEX cases_review_queue_idx, cases_claimed_idx, cases_sla_breach_idx, cases_sla_warning_idx, cases_group_idx;
    ALTER TABLE cases
      DROP COLUMN assigned_to, DROP COLUMN claimed_at, DROP COLUMN last_analyst_activity_at,
      DROP COLUMN first_response_at, DROP COLUMN sla_paused_at, DROP COLUMN sla_warning_at, DROP COLUMN sla_warned_at,
      DROP COLUMN sla_breached_at, DROP COLUMN verdict, DROP COLUMN verdict_note, DROP COLUMN verdict_at,
      DROP COLUMN group_id;
  `.execute(db);
}
