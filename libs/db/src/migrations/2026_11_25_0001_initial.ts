import { Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE organizations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      timezone text NOT NULL,
      country char(2) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE contracts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations (id),
      tier text NOT NULL CHECK (tier IN ('standard', 'msa_start')),
      starts_on date NOT NULL,
      ends_on date NOT NULL,
      premium_total integer NOT NULL CHECK (premium_total >= 0),
      premium_used integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (ends_on >= starts_on),
      -- the ledger can never be overdrawn, whatever the code above it does
      CHECK (premium_used BETWEEN 0 AND premium_total)
    );
    CREATE INDEX contracts_organization_idx ON contracts (organization_id, starts_on);

    CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('customer', 'analyst', 'release', 'admin')),
      organization_id uuid REFERENCES organizations (id),
      key_hash text NOT NULL UNIQUE,
      key_prefix text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      CHECK ((role = 'customer') = (organization_id IS NOT NULL))
    );

    CREATE TABLE database_releases (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      channel text NOT NULL,
      version integer NOT NULL CHECK (version > 0),
      released_at timestamptz NOT NULL,
      published boolean NOT NULL DEFAULT true,
      source text NOT NULL CHECK (source IN ('baseline', 'build')),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (channel, version)
    );
    CREATE INDEX database_releases_published_idx ON database_releases (channel, version DESC) WHERE published;

    CREATE SEQUENCE case_reference_seq;

    CREATE TABLE cases (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      reference text NOT NULL UNIQUE,
      organization_id uuid NOT NULL REFERENCES organizations (id),
      contract_id uuid NOT NULL REFERENCES contracts (id),
      tier text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('false_positive', 'false_negative')),
      severity smallint NOT NULL CHECK (severity BETWEEN 1 AND 4),
      premium boolean NOT NULL,
      status text NOT NULL,
      product text NOT NULL,
      product_version text NOT NULL,
      database_channel text NOT NULL,
      database_version integer NOT NULL,
      detection_name text,
      description text NOT NULL,
      submitted_by uuid NOT NULL REFERENCES api_keys (id),
      response_due_at timestamptz,
      intake_completed_at timestamptz,
      fixed_in_database_version integer,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX cases_organization_page_idx ON cases (organization_id, created_at DESC, id DESC);
    CREATE INDEX cases_page_idx ON cases (created_at DESC, id DESC);

    CREATE TABLE samples (
      sha256 char(64) PRIMARY KEY,
      sha1 char(40) NOT NULL,
      md5 char(32) NOT NULL,
      size bigint NOT NULL CHECK (size > 0),
      type text NOT NULL,
      storage_key text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE case_samples (
      case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
      sha256 char(64) NOT NULL REFERENCES samples (sha256),
      file_name text NOT NULL,
      archive_path text,
      position integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (case_id, sha256)
    );
    CREATE INDEX case_samples_sha256_idx ON case_samples (sha256);

    CREATE TABLE case_events (
      id bigserial PRIMARY KEY,
      case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
      type text NOT NULL,
      from_status text,
      to_status text,
      actor_key_id uuid REFERENCES api_keys (id),
      actor_role text NOT NULL,
      data jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX case_events_case_idx ON case_events (case_id, id);

    CREATE TABLE idempotency_keys (
      organization_id uuid NOT NULL REFERENCES organizations (id),
      key text NOT NULL,
      fingerprint char(64) NOT NULL,
      case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
      response_status smallint NOT NULL,
      response_body jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (organization_id, key)
    );
    CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

    CREATE TABLE outbox (
      id bigserial PRIMARY KEY,
      queue text NOT NULL,
      job_name text NOT NULL,
      job_id text NOT NULL,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      dispatched_at timestamptz
    );
    CREATE INDEX outbox_pending_idx ON outbox (id) WHERE dispatched_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE outbox, idempotency_keys, case_events, case_samples, samples, cases, database_releases, api_keys,
      contracts, organizations;
    DROP SEQUENCE case_reference_seq;
  `.execute(db);
}
