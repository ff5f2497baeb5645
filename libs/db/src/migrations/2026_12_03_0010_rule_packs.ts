import { Kysely, sql } from 'kysely';

/**
 * Rule packs a lab brings: an import holds the pack's files (each compiled in a YARA namespace of its own) and the
 * quality report of its analysis; accepting it makes one signature change (`import_rules`, which has no case) whose
 * content is the files as accepted (`accepted_source`: a file's text without the rules left out, or null when the
 * file is not part of it). Rule revisions get their namespace and where they came from.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE rule_pack_imports (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      channel text NOT NULL,
      pack_name text NOT NULL,
      file_name text NOT NULL,
      format text NOT NULL CHECK (format IN ('yara', 'zip', 'tar.gz')),
      bytes bigint NOT NULL,
      sha256 char(64) NOT NULL,
      skipped jsonb NOT NULL DEFAULT '[]',
      status text NOT NULL CHECK (status IN ('analysing', 'analysed', 'failed', 'accepted')),
      progress jsonb,
      summary jsonb,
      error text,
      created_by uuid NOT NULL REFERENCES api_keys (id),
      change_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX rule_pack_imports_created_idx ON rule_pack_imports (created_at DESC, id);
    CREATE INDEX rule_pack_imports_analysing_idx ON rule_pack_imports (id) WHERE status = 'analysing';

    CREATE TABLE rule_pack_files (
      import_id uuid NOT NULL REFERENCES rule_pack_imports (id) ON DELETE CASCADE,
      position integer NOT NULL,
      path text NOT NULL,
      namespace text NOT NULL,
      source text NOT NULL,
      report jsonb,
      accepted_source text,
      PRIMARY KEY (import_id, position),
      UNIQUE (import_id, namespace)
    );

    ALTER TABLE signature_changes
      ALTER COLUMN case_id DROP NOT NULL,
      DROP CONSTRAINT signature_changes_type_check,
      ADD CONSTRAINT signature_changes_type_check
        CHECK (type IN ('add_detection', 'suppress_detection', 'import_rules')),
      ADD COLUMN rule_pack_import_id uuid REFERENCES rule_pack_imports (id),
      ADD CONSTRAINT signature_changes_case_or_import
        CHECK ((type = 'import_rules') = (case_id IS NULL) AND (type = 'import_rules') = (rule_pack_import_id IS NOT NULL));
    ALTER TABLE rule_pack_imports ADD FOREIGN KEY (change_id) REFERENCES signature_changes (id);

    ALTER TABLE rule_revisions
      ADD COLUMN namespace text,
      ADD COLUMN provenance jsonb;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE rule_revisions DROP COLUMN provenance, DROP COLUMN namespace;
    ALTER TABLE rule_pack_imports DROP CONSTRAINT rule_pack_imports_change_id_fkey;
    DELETE FROM signature_changes WHERE type = 'import_rules';
    ALTER TABLE signature_changes
      DROP CONSTRAINT signature_changes_case_or_import,
      DROP COLUMN rule_pack_import_id,
      DROP CONSTRAINT signature_changes_type_check,
      ADD CONSTRAINT signature_changes_type_check CHECK (type IN ('add_detection', 'suppress_detection')),
      ALTER COLUMN case_id SET NOT NULL;
    DROP TABLE rule_pack_files, rule_pack_imports;
  `.execute(db);
}
