import { Kysely, sql } from 'kysely';

/**
 * Webhook deliveries record the kind of their last attempt's result (`last_result`) and show customers a sentence
 * for it (`last_error`), never the socket's error: that told a closed port from a database or a tarpit. Rows written
 * before keep their history in this coarse form.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE webhook_deliveries
      ADD COLUMN last_result text CHECK (last_result IN
        ('delivered', 'receiver_error', 'unreachable', 'refused_destination', 'webhook_disabled'));
    UPDATE webhook_deliveries SET last_result = CASE
        WHEN status = 'delivered' THEN 'delivered'
        WHEN last_error = 'webhook disabled' THEN 'webhook_disabled'
        WHEN last_status_code IS NOT NULL THEN 'receiver_error'
        ELSE 'unreachable'
      END
      WHERE status = 'delivered' OR last_status_code IS NOT NULL OR last_error IS NOT NULL;
    UPDATE webhook_deliveries SET last_error = CASE
        WHEN last_result = 'receiver_error' AND last_status_code BETWEEN 300 AND 399
          THEN 'The receiver answered HTTP ' || last_status_code || ' (redirects are not followed).'
        WHEN last_result = 'receiver_error' THEN 'The receiver answered HTTP ' || last_status_code || '.'
        WHEN last_result = 'unreachable' THEN 'The receiver could not be reached, or did not answer in time.'
        ELSE last_error
      END
      WHERE last_result IN ('receiver_error', 'unreachable');
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE webhook_deliveries DROP COLUMN last_result;
  `.execute(db);
}
