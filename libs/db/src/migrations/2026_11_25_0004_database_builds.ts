import { Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- a version is taken when its build starts and never given again, whether the build is stored or fails
    CREATE TABLE database_builds (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      channel text NOT NULL,
      version integer NOT NULL CHECK (version > 0),
      parent_version integer,
      kind text NOT NULL CHECK (kind IN ('expedited', 'scheduled')),
      status text NOT NULL CHECK (status IN ('building', 'failed', 'stored', 'published')),
      change_ids uuid[] NOT NULL,
      stage text NOT NULL DEFAULT 'queued',
      progress jsonb NOT NULL DEFAULT '{}',
      failure jsonb,
      manifest jsonb,
      manifest_sha256 char(64),
      signature text,
      artifact_prefix text,
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      published_at timestamptz,
      UNIQUE (channel, version)
    );
    CREATE UNIQUE INDEX database_builds_one_running_idx ON database_builds (channel) WHERE status = 'building';

    ALTER TABLE signature_changes ADD COLUMN build_version integer;
    CREATE INDEX signature_changes_unbuilt_idx ON signature_changes (approved_at) WHERE status = 'approved';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE signature_changes DROP COLUMN build_version;
    DROP TABLE database_builds;
  `.execute(db);
}
