export type Tier = 'standard' | 'msa_start';
export type Severity = 1 | 2 | 3 | 4;
/** First-response targets in working hours of the customer's business calendar. */
export type ResponseTargets = Record<Tier, Record<Severity, number>>;

export const TIERS: readonly Tier[] = ['standard', 'msa_start'];
export const SEVERITIES: readonly Severity[] = [1, 2, 3, 4];

/**
 * MSA Start severity 1 is a contractual promise of 6 working hours; every other target stands for "a reasonable time"
 * and is ours to tune. Frozen because callers share it and a stray write would change every customer's clock.
 */
export const DEFAULT_RESPONSE_TARGETS: ResponseTargets = Object.freeze({
  standard: Object.freeze({ 1: 12, 2: 24, 3: 40, 4: 80 }),
  msa_start: Object.freeze({ 1: 6, 2: 12, 3: 24, 4: 40 }),
});

function isTier(value: unknown): value is Tier {
  return TIERS.includes(value as Tier);
}

function isSeverity(value: unknown): value is Severity {
  return SEVERITIES.includes(value as Severity);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function copyOfDefaults(): ResponseTargets {
  return {
    standard: { ...DEFAULT_RESPONSE_TARGETS.standard },
    msa_start: { ...DEFAULT_RESPONSE_TARGETS.msa_start },
  };
}

/**
 * Parses an override such as '{"standard":{"1":8}}': whatever it names replaces the default, the rest stays. An empty
 * or missing override means the defaults. Anything it cannot use is an error rather than ignored, so a typo in
 * configuration fails at start-up instead of silently leaving a default in force.
 */
export function parseResponseTargets(json: string | undefined): ResponseTargets {
  const targets = copyOfDefaults();
  if (json === undefined || json.trim() === '') return targets;

  let override: unknown;
  try {
    override = JSON.parse(json);
  } catch (error) {
    throw new Error(`Response targets are not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(override)) {
    throw new Error('Response targets must be a JSON object like {"standard":{"1":8}}');
  }

  for (const [tier, hoursBySeverity] of Object.entries(override)) {
    if (!isTier(tier)) {
      throw new Error(`Unknown tier '${tier}' in response targets: expected one of ${TIERS.join(', ')}`);
    }
    if (!isPlainObject(hoursBySeverity)) {
      throw new Error(`Response targets for tier '${tier}' must be an object of severity to working hours`);
    }
    for (const [key, hours] of Object.entries(hoursBySeverity)) {
      const severity = Number(key);
      // Exact spelling only: '01' or '1.0' would convert to a valid severity yet hints at a mistaken configuration.
      if (String(severity) !== key || !isSeverity(severity)) {
        throw new Error(
          `Unknown severity '${key}' for tier '${tier}' in response targets: expected one of ${SEVERITIES.join(', ')}`,
        );
      }
      // JSON.parse turns 1e999 into Infinity, which is positive but no target.
      if (typeof hours !== 'number' || !Number.isFinite(hours) || hours <= 0) {
        throw new Error(
          `Response target for tier '${tier}' severity ${severity} must be a positive number of working hours, ` +
            `got ${JSON.stringify(hours)}`,
        );
      }
      targets[tier][severity] = hours;
    }
  }
  return targets;
}

export function responseTargetHours(targets: ResponseTargets, tier: Tier, severity: Severity): number {
  // Tier and severity often come from stored rows, where the type system's promise no longer holds.
  if (!isTier(tier)) throw new Error(`Unknown tier '${String(tier)}'`);
  if (!isSeverity(severity)) throw new Error(`Unknown severity '${String(severity)}'`);
  const hours = targets[tier]?.[severity];
  if (typeof hours !== 'number' || !Number.isFinite(hours) || hours <= 0) {
    throw new Error(`No response target for tier '${tier}' severity ${severity}`);
  }
  return hours;
}
