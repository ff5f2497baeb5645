import { Logger } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { AppConfig, parseEnvironment } from '@sigdesk/config';
import type { MetricsService } from '@sigdesk/ops';
import type { RateLimitStore, WindowCount } from './rate-limit.store';
import { RateLimiter } from './rate-limiter';

/** A store that counts in memory, never ending its windows (`resetInMs` as given). */
class MemoryStore implements RateLimitStore {
  readonly hits = new Map<string, number>();
  constructor(private readonly resetInMs = 1_500) {}
  hit(bucket: string): Promise<WindowCount> {
    const hits = (this.hits.get(bucket) ?? 0) + 1;
    this.hits.set(bucket, hits);
    return Promise.resolve({ hits, resetInMs: this.resetInMs });
  }
}

function limiterWith(store: RateLimitStore, env: Record<string, string> = {}) {
  const failures = new Counter({ name: 'failures', help: 'failures', registers: [new Registry()] });
  const metrics = { rateLimitStoreFailures: failures } as unknown as MetricsService;
  const config = new AppConfig(
    parseEnvironment({
      SIGDESK_RATE_LIMIT_PER_KEY: '2',
      SIGDESK_RATE_LIMIT_PER_ADDRESS: '1',
      SIGDESK_RATE_LIMIT_FAILED_AUTH_PER_ADDRESS: '1',
      ...env,
    }),
  );
  return { sut: new RateLimiter(store, metrics, config), failures: async () => (await failures.get()).values[0].value };
}

const key = (id: string) => ({ keyId: id, actorId: id });

describe(RateLimiter.name, () => {
  // the failures are logged: expected here
  beforeAll(() => Logger.overrideLogger(false));
  afterEach(() => jest.useRealTimers());

  it('lets a key through up to its limit, then names the limit and when to retry', async () => {
    const { sut } = limiterWith(new MemoryStore(1_500));
    expect(await sut.forPrincipal(key('k'))).toBeNull();
    expect(await sut.forPrincipal(key('k'))).toBeNull();
    expect(await sut.forPrincipal(key('k'))).toEqual({
      bucket: 'key',
      limit: 2,
      windowSeconds: 60,
      retryAfterSeconds: 2,
    });
    expect(await sut.forPrincipal(key('other'))).toBeNull();
  });

  it('counts addresses and failed authentications in buckets of their own, IPv6 by /64', async () => {
    const store = new MemoryStore();
    const { sut } = limiterWith(store);
    expect(await sut.forAddress('2001:db8:1:2::1')).toBeNull();
    expect(await sut.forAddress('2001:db8:1:2::99')).toMatchObject({ bucket: 'address' });
    expect(await sut.forFailedAuthentication('2001:db8:1:2::1')).toBeNull();
    expect([...store.hits.keys()]).toEqual(['address:2001:db8:1:2::/64', 'failed-auth:2001:db8:1:2::/64']);
  });

  it("counts a person's sessions together, apart from any key", async () => {
    const store = new MemoryStore();
    const { sut } = limiterWith(store);
    expect(await sut.forPrincipal({ keyId: null, actorId: 'user-1' })).toBeNull();
    expect(await sut.forPrincipal({ keyId: 'key-1', actorId: 'key-1' })).toBeNull();
    expect([...store.hits.keys()]).toEqual(['actor:user-1', 'key:key-1']);
  });

  it('asks the store nothing for a limit of 0', async () => {
    const store = new MemoryStore();
    const { sut } = limiterWith(store, { SIGDESK_RATE_LIMIT_PER_KEY: '0' });
    for (let i = 0; i < 5; i++) expect(await sut.forPrincipal(key('k'))).toBeNull();
    expect(store.hits.size).toBe(0);
  });

  it('lets the request through when the store fails, and counts the failure', async () => {
    const { sut, failures } = limiterWith({ hit: () => Promise.reject(new Error('relation does not exist')) });
    expect(await sut.forPrincipal(key('k'))).toBeNull();
    expect(await sut.forAddress('203.0.113.1')).toBeNull();
    expect(await failures()).toBe(2);
  });

  it('lets the request through when the store does not answer in time', async () => {
    jest.useFakeTimers();
    const { sut, failures } = limiterWith({ hit: () => new Promise<never>(() => undefined) });
    const decision = sut.forPrincipal(key('k'));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await decision).toBeNull();
    expect(await failures()).toBe(1);
  });
});
