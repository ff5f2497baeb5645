import type { AnalystCase } from './review.schemas';

type Triage = NonNullable<AnalystCase['triage']>;
type TriageSample = Triage['samples'][number];

function triageSamples(value: unknown): TriageSample[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    const v = entry as Record<string, unknown> | null;
    if (!v || typeof v.sha256 !== 'string' || typeof v.detected !== 'boolean') return [];
    const rules = Array.isArray(v.rules) ? v.rules.filter((r): r is string => typeof r === 'string') : [];
    return [{ sha256: v.sha256, detected: v.detected, rules, allowlisted: v.allowlisted === true }];
  });
}

/**
 * What the published database (and a newer stored build, if any) matched in the samples at intake, from the
 * `intake_completed` event the intake recorded; null before intake ends or when no database was published then.
 */
export function triageOf(events: Array<{ type: string; data: Record<string, unknown> }>): Triage | null {
  const intake = [...events].reverse().find((event) => event.type === 'intake_completed');
  const data = intake?.data;
  if (!data || !Number.isInteger(data.triageDatabaseVersion)) return null;
  return {
    databaseVersion: data.triageDatabaseVersion as number,
    samples: triageSamples(data.triage),
    scheduled: Number.isInteger(data.scheduledDatabaseVersion)
      ? { databaseVersion: data.scheduledDatabaseVersion as number, samples: triageSamples(data.scheduledTriage) }
      : null,
  };
}
