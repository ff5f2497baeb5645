/** A bucket's count in its current window. */
export interface WindowCount {
  /** Hits in the window, this one included. */
  hits: number;
  /** Milliseconds until the window ends and the count starts again. */
  resetInMs: number;
}

/**
 * Where the API processes count requests, shared so that they agree: fixed windows, one counter per bucket, each
 * hit counted and read in one atomic step.
 */
export interface RateLimitStore {
  hit(bucket: string, windowMs: number): Promise<WindowCount>;
}

export const RATE_LIMIT_STORE = Symbol('RATE_LIMIT_STORE');
