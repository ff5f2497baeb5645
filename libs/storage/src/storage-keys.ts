/** Where things live in the bucket. Content-addressed: the same file is stored once, whoever sends it. */
export const StorageKeys = {
  samplesPrefix: 'samples/',
  sample: (sha256: string) => `samples/${sha256.slice(0, 2)}/${sha256}`,
  /** YARA-X's serialised rules, by their SHA-256 (compiled_rulesets says which ruleset and engine they are) */
  compiledRules: (sha256: string) => `compiled-rules/${sha256.slice(0, 2)}/${sha256}`,
  /**
   * Where a file is copied while it is received, before its SHA-256 is known: copied to its sample key once it
   * is, then removed (see the intake's staging objects).
   */
  stagingPrefix: 'staging/',
  staging: (id: string) => `staging/${id}`,
  sha256OfSampleKey: (key: string): string | null => /^samples\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(key)?.[1] ?? null,
};
