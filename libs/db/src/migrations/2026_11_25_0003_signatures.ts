import { Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- the signature content of the current database: YARA rules and allow-list entries
    CREATE TABLE rules (
      name text PRIMARY KEY,
      source text NOT NULL,
      tags text[] NOT NULL DEFAULT '{}',
      enabled boolean NOT NULL DEFAULT true,
      case_id uuid REFERENCES cases (id),
      change_id uuid,
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE rule_versions (
      rule_name text NOT NULL REFERENCES rules (name),
      version integer NOT NULL,
      source text NOT NULL,
      enabled boolean NOT NULL,
      change_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (rule_name, version)
    );

    CREATE TABLE allowlist_entries (
      sha256 char(64) PRIMARY KEY,
      reason text NOT NULL,
      case_id uuid REFERENCES cases (id),
      change_id uuid,
      expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE SEQUENCE signature_change_approval_seq;

    CREATE TABLE signature_changes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      case_id uuid NOT NULL REFERENCES cases (id),
      type text NOT NULL CHECK (type IN ('add_detection', 'suppress_detection')),
      rule_name text,
      rule_source text,
      sha256 char(64),
      target_rule text,
      reason text,
      author uuid NOT NULL REFERENCES api_keys (id),
      status text NOT NULL CHECK (status IN ('validating', 'validation_failed', 'validated', 'approved', 'rejected', 'built')),
      report jsonb,
      progress jsonb,
      validated_at timestamptz,
      approved_by uuid REFERENCES api_keys (id),
      approved_at timestamptz,
      approval_seq bigint UNIQUE,
      decision_note text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX signature_changes_case_idx ON signature_changes (case_id);
    CREATE INDEX signature_changes_feed_idx ON signature_changes (approval_seq) WHERE approval_seq IS NOT NULL;

    CREATE TABLE clean_corpus_files (
      sha256 char(64) PRIMARY KEY,
      name text NOT NULL,
      size bigint NOT NULL,
      storage_key text NOT NULL,
      added_by uuid REFERENCES api_keys (id),
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE clean_corpus_files, signature_changes, allowlist_entries, rule_versions, rules;
    DROP SEQUENCE signature_change_approval_seq;
  `.execute(db);
}
