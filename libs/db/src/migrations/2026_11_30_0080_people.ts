import { Kysely, sql } from 'kysely';

/**
 * People's accounts beside API keys: users, invitations, password resets, server-side sessions and failed sign-ins.
 *
 * Who acted is an actor: an API key or a person, each with a UUID of its own. The columns that record who acted
 * (`cases.submitted_by`, `cases.assigned_to`, `signature_changes.author` and `approved_by`, `webhooks.created_by`,
 * the corpora's `added_by`) hold an actor id from now on, so their foreign keys to `api_keys` go. A case's timeline
 * keeps `actor_key_id` for keys and gains `actor_user_id` and the display name the person had when they acted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL CHECK (email = lower(email)),
      display_name text NOT NULL,
      role text NOT NULL CHECK (role IN ('customer', 'analyst', 'release', 'admin')),
      organization_id uuid REFERENCES organizations (id),
      organization_admin boolean NOT NULL DEFAULT false,
      password_hash text NOT NULL,
      totp_secret text,
      totp_pending_secret text,
      totp_last_step bigint,
      disabled_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((role = 'customer') = (organization_id IS NOT NULL)),
      CHECK (NOT organization_admin OR role = 'customer')
    );
    CREATE UNIQUE INDEX users_email_idx ON users (email);
    CREATE INDEX users_organization_idx ON users (organization_id, created_at) WHERE organization_id IS NOT NULL;

    CREATE TABLE invitations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      token_hash char(64) NOT NULL UNIQUE,
      email text NOT NULL CHECK (email = lower(email)),
      display_name text NOT NULL,
      role text NOT NULL CHECK (role IN ('customer', 'analyst', 'release', 'admin')),
      organization_id uuid REFERENCES organizations (id),
      organization_admin boolean NOT NULL DEFAULT false,
      invited_by uuid NOT NULL,
      expires_at timestamptz NOT NULL,
      accepted_at timestamptz,
      user_id uuid REFERENCES users (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((role = 'customer') = (organization_id IS NOT NULL)),
      CHECK (NOT organization_admin OR role = 'customer')
    );

    CREATE TABLE password_resets (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      token_hash char(64) NOT NULL UNIQUE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      token_hash char(64) NOT NULL UNIQUE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      csrf_token text NOT NULL,
      totp_enrolment_only boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      idle_expires_at timestamptz NOT NULL,
      absolute_expires_at timestamptz NOT NULL,
      ended_at timestamptz,
      address text,
      user_agent text
    );
    CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE ended_at IS NULL;

    CREATE TABLE sign_in_failures (
      id bigserial PRIMARY KEY,
      scope text NOT NULL CHECK (scope IN ('account', 'address')),
      subject text NOT NULL,
      failed_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX sign_in_failures_subject_idx ON sign_in_failures (scope, subject, failed_at);

    ALTER TABLE case_events
      ADD COLUMN actor_user_id uuid REFERENCES users (id),
      ADD COLUMN actor_name text;

    ALTER TABLE cases DROP CONSTRAINT cases_submitted_by_fkey, DROP CONSTRAINT cases_assigned_to_fkey;
    ALTER TABLE signature_changes
      DROP CONSTRAINT signature_changes_author_fkey,
      DROP CONSTRAINT signature_changes_approved_by_fkey;
    ALTER TABLE webhooks DROP CONSTRAINT webhooks_created_by_fkey;
    ALTER TABLE regression_corpus_files DROP CONSTRAINT regression_corpus_files_added_by_fkey;
    ALTER TABLE clean_corpus_files DROP CONSTRAINT clean_corpus_files_added_by_fkey;
  `.execute(db);
}

/** The foreign keys to `api_keys` stay dropped: the actor columns may hold people's ids by then. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE case_events DROP COLUMN actor_user_id, DROP COLUMN actor_name;
    DROP TABLE sign_in_failures;
    DROP TABLE sessions;
    DROP TABLE password_resets;
    DROP TABLE invitations;
    DROP TABLE users;
  `.execute(db);
}
