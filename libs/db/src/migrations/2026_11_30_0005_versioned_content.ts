import { Kysely, sql } from 'kysely';

/**
 * Signature content versioned per channel. A rule revision is stored once, under the SHA-256 of its source; the
 * content of version N of a channel is one row naming the revisions it holds and its allow-list. A channel without a
 * content row of its own has the base ruleset (the revisions marked `base`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE rule_revisions (
      sha256 char(64) PRIMARY KEY,
      name text NOT NULL,
      source text NOT NULL,
      base boolean NOT NULL DEFAULT false,
      case_id uuid REFERENCES cases (id),
      change_id uuid REFERENCES signature_changes (id),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX rule_revisions_base_idx ON rule_revisions (name) WHERE base;
    CREATE INDEX rule_revisions_case_idx ON rule_revisions (case_id) WHERE case_id IS NOT NULL;

    CREATE TABLE signature_contents (
      channel text NOT NULL,
      version integer NOT NULL,
      parent_version integer,
      -- rule revisions (SHA-256 of their source), in the order of their names
      rules char(64)[] NOT NULL,
      -- [{ sha256, expiresAt, changeId, caseId, reason }]
      allowlist jsonb NOT NULL DEFAULT '[]',
      rules_sha256 char(64) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (channel, version)
    );

    INSERT INTO rule_revisions (sha256, name, source, base, case_id, change_id)
      SELECT encode(sha256(convert_to(source, 'UTF8')), 'hex'), name, source, change_id IS NULL, case_id, change_id
      FROM rules WHERE enabled
      ON CONFLICT DO NOTHING;
    -- what earlier versions held was not recorded per version: the newest stored build of each channel gets the
    -- content every channel shared until now
    INSERT INTO signature_contents (channel, version, parent_version, rules, allowlist, rules_sha256)
      SELECT b.channel, b.version, b.parent_version,
             coalesce((SELECT array_agg(r.sha256 ORDER BY r.name COLLATE "C") FROM rule_revisions r), '{}'),
             coalesce((SELECT jsonb_agg(jsonb_build_object('sha256', a.sha256, 'expiresAt', a.expires_at,
                        'changeId', a.change_id, 'caseId', a.case_id, 'reason', a.reason) ORDER BY a.sha256)
                       FROM allowlist_entries a), '[]'),
             encode(sha256(convert_to(coalesce((SELECT string_agg(r.sha256, E'\\n' ORDER BY r.name COLLATE "C")
                                                  FROM rule_revisions r), ''), 'UTF8')), 'hex')
      FROM (SELECT DISTINCT ON (channel) channel, version, parent_version FROM database_builds
            WHERE status IN ('stored', 'published') ORDER BY channel, version DESC) b;
    DROP TABLE rule_versions, allowlist_entries, rules;

    -- changes belong to the channel of their case; an open change reserves its rule name on that channel
    ALTER TABLE signature_changes
      ADD COLUMN channel text,
      ADD COLUMN expires_at timestamptz;
    UPDATE signature_changes sc SET channel = c.database_channel FROM cases c WHERE c.id = sc.case_id;
    ALTER TABLE signature_changes ALTER COLUMN channel SET NOT NULL;
    CREATE UNIQUE INDEX signature_changes_open_rule_name_idx ON signature_changes (channel, rule_name)
      WHERE rule_name IS NOT NULL AND status IN ('validating', 'validated', 'approved');

    -- the version that will fix the case once published (a stored build, or the build of its change)
    ALTER TABLE cases ADD COLUMN scheduled_fix_version integer;
    CREATE INDEX cases_fix_scheduled_idx ON cases (database_channel, scheduled_fix_version)
      WHERE status = 'fix_scheduled';

    -- a build is run by one worker at a time: the holder renews its lease, another takes over when it expires
    ALTER TABLE database_builds
      ADD COLUMN lease_owner text,
      ADD COLUMN lease_expires_at timestamptz,
      ADD COLUMN attempts integer NOT NULL DEFAULT 0,
      ADD COLUMN report jsonb;

    -- known malware that every release must keep detecting, managed by admins
    CREATE TABLE regression_corpus_files (
      sha256 char(64) PRIMARY KEY,
      name text NOT NULL,
      size bigint NOT NULL,
      storage_key text NOT NULL,
      added_by uuid REFERENCES api_keys (id),
      created_at timestamptz NOT NULL DEFAULT now()
    );

    -- BullMQ options of a relayed job (deduplication, priority)
    ALTER TABLE outbox ADD COLUMN options jsonb;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE outbox DROP COLUMN options;
    DROP TABLE regression_corpus_files;
    ALTER TABLE database_builds DROP COLUMN lease_owner, DROP COLUMN lease_expires_at, DROP COLUMN attempts,
      DROP COLUMN report;
    ALTER TABLE cases DROP COLUMN scheduled_fix_version;
    ALTER TABLE signature_changes DROP COLUMN channel, DROP COLUMN expires_at;
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
    INSERT INTO rules (name, source, case_id, change_id) SELECT name, source, case_id, change_id FROM rule_revisions WHERE base;
    INSERT INTO rule_versions (rule_name, version, source, enabled) SELECT name, 1, source, true FROM rule_revisions WHERE base;
    DROP TABLE signature_contents, rule_revisions;
  `.execute(db);
}
