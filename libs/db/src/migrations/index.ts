import type { Migration } from 'kysely';
import * as initial from './2026_11_25_0001_initial';
import * as reviewAndNotifications from './2026_11_25_0002_review_and_notifications';
import * as signatures from './2026_11_25_0003_signatures';
import * as databaseBuilds from './2026_11_25_0004_database_builds';
import * as slaSweepIndexes from './2026_11_30_0001_sla_sweep_indexes';
import * as sampleObjectClaims from './2026_11_30_0002_sample_object_claims';
import * as versionedContent from './2026_11_30_0005_versioned_content';
import * as sampleObjectUploads from './2026_11_30_0011_sample_object_uploads';
import * as outboxClaims from './2026_11_30_0012_outbox_claims_and_reconciliation';
import * as sampleObjectClaimHolders from './2026_11_30_0013_sample_object_claim_holders';
import * as webhookDeliveryResults from './2026_11_30_0030_webhook_delivery_results';
import * as webhookDeliveryLeases from './2026_11_30_0031_webhook_delivery_leases';
import * as rateLimitCounters from './2026_11_30_0040_rate_limit_counters';
import * as dashboardIndexes from './2026_11_30_0060_dashboard_indexes';
import * as liveEvents from './2026_11_30_0061_live_events';
import * as people from './2026_11_30_0080_people';
import * as apiKeyOwners from './2026_12_01_0010_api_key_owners';
import * as approvalInbox from './2026_12_01_0030_approval_inbox';
import * as compiledRulesets from './2026_12_02_0010_compiled_rulesets';
import * as scanVerdicts from './2026_12_02_0020_scan_verdicts';
import * as stagingObjects from './2026_12_02_0100_staging_objects';
import * as rulePacks from './2026_12_03_0010_rule_packs';
import * as rulePackImportActors from './2026_12_03_0020_rule_pack_import_actors';
import * as lateSampleDigests from './2026_12_04_0010_late_sample_digests';

/** Every migration, in order. Names are persisted in the database: never rename one. */
export const migrations: Record<string, Migration> = {
  '2026_11_25_0001_initial': initial,
  '2026_11_25_0002_review_and_notifications': reviewAndNotifications,
  '2026_11_25_0003_signatures': signatures,
  '2026_11_25_0004_database_builds': databaseBuilds,
  '2026_11_30_0001_sla_sweep_indexes': slaSweepIndexes,
  '2026_11_30_0002_sample_object_claims': sampleObjectClaims,
  '2026_11_30_0005_versioned_content': versionedContent,
  '2026_11_30_0011_sample_object_uploads': sampleObjectUploads,
  '2026_11_30_0012_outbox_claims_and_reconciliation': outboxClaims,
  '2026_11_30_0013_sample_object_claim_holders': sampleObjectClaimHolders,
  '2026_11_30_0030_webhook_delivery_results': webhookDeliveryResults,
  '2026_11_30_0031_webhook_delivery_leases': webhookDeliveryLeases,
  '2026_11_30_0040_rate_limit_counters': rateLimitCounters,
  '2026_11_30_0060_dashboard_indexes': dashboardIndexes,
  '2026_11_30_0061_live_events': liveEvents,
  '2026_11_30_0080_people': people,
  '2026_12_01_0010_api_key_owners': apiKeyOwners,
  '2026_12_01_0030_approval_inbox': approvalInbox,
  '2026_12_02_0010_compiled_rulesets': compiledRulesets,
  '2026_12_02_0020_scan_verdicts': scanVerdicts,
  '2026_12_02_0100_staging_objects': stagingObjects,
  '2026_12_03_0010_rule_packs': rulePacks,
  '2026_12_03_0020_rule_pack_import_actors': rulePackImportActors,
  '2026_12_04_0010_late_sample_digests': lateSampleDigests,
};
