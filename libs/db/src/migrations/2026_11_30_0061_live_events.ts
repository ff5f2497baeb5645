import { Kysely, sql } from 'kysely';

/**
 * Live updates: whatever changes a case, a signature change or a build tells the API processes on the channel
 * `sigdesk_live`, from the transaction that makes the change (PostgreSQL delivers a notification on commit, and
 * never one of a transaction rolled back). Triggers, so that no writer can forget: the worker's, the API's, a
 * migration's. The payload says what changed and whose it is, never what the change was: clients read that
 * through the API, with their own rights.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION sigdesk_live_case_event() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('sigdesk_live', json_build_object(
        'type', 'case.changed',
        'caseId', NEW.case_id,
        'organizationId', (SELECT organization_id FROM cases WHERE id = NEW.case_id),
        'event', NEW.type
      )::text);
      RETURN NULL;
    END $$;
    CREATE TRIGGER case_events_live AFTER INSERT ON case_events
      FOR EACH ROW EXECUTE FUNCTION sigdesk_live_case_event();

    CREATE FUNCTION sigdesk_live_signature_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('sigdesk_live', json_build_object(
        'type', 'change.changed',
        'changeId', NEW.id,
        'caseId', NEW.case_id,
        'status', NEW.status
      )::text);
      RETURN NULL;
    END $$;
    CREATE TRIGGER signature_changes_live AFTER INSERT OR UPDATE OF status, progress ON signature_changes
      FOR EACH ROW EXECUTE FUNCTION sigdesk_live_signature_change();

    CREATE FUNCTION sigdesk_live_build() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('sigdesk_live', json_build_object(
        'type', 'build.changed',
        'channel', NEW.channel,
        'version', NEW.version,
        'status', NEW.status,
        'stage', NEW.stage
      )::text);
      RETURN NULL;
    END $$;
    CREATE TRIGGER database_builds_live AFTER INSERT OR UPDATE OF status, stage, progress, published_at
      ON database_builds FOR EACH ROW EXECUTE FUNCTION sigdesk_live_build();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER database_builds_live ON database_builds;
    DROP FUNCTION sigdesk_live_build();
    DROP TRIGGER signature_changes_live ON signature_changes;
    DROP FUNCTION sigdesk_live_signature_change();
    DROP TRIGGER case_events_live ON case_events;
    DROP FUNCTION sigdesk_live_case_event();
  `.execute(db);
}
