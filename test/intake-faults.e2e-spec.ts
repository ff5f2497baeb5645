import { createHash, randomBytes } from 'node:crypto';
import { OrphanSampleSweeper, SampleObjectClaimsRepository } from '@sigdesk/intake';
import { StorageKeys } from '@sigdesk/storage';
import { seedCustomer, seedRelease, startTestEnvironment, submissionForm, TestEnvironment } from '@sigdesk/testing';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Runs `work` on every item, `concurrency` at a time. */
async function eachLimited<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

describe('intake under the faults of its dependencies', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false, env: { SIGDESK_ORPHAN_GRACE_MINUTES: '10' } });
    await seedRelease(env, 100);
  });
  afterAll(async () => {
    await env?.close();
  });

  describe(OrphanSampleSweeper.name, () => {
    it('removes more than 1,000 orphans, and keeps what a case references', async () => {
      const customer = await seedCustomer(env, { name: 'Sweep Ltd' });
      const kept = randomBytes(200);
      expect(
        (await customer.client.upload('/v1/submissions', submissionForm({}, [{ name: 'kept.bin', content: kept }])))
          .status,
      ).toBe(201);

      // 1,100 uploads whose transaction failed and that their request could not remove (its process died, or
      // S3 refused the delete): listed when they were claimed, stored, claims released, never recorded
      const orphans = Array.from({ length: 1_100 }, () => randomBytes(32));
      const claims = env.sigdesk.app.get(SampleObjectClaimsRepository);
      const claim = (await claims.claimUploads(orphans.map(sha256)))!;
      await eachLimited(orphans, 8, (content) => env.store.put(StorageKeys.sample(sha256(content)), content));
      await claims.releaseUploads(claim);

      const sweeper = env.sigdesk.app.get(OrphanSampleSweeper);
      const later = new Date(Date.now() + 11 * 60_000);
      expect(await sweeper.sweep(later)).toEqual({ scanned: 1_100, deleted: 1_100 });

      const left: string[] = [];
      await eachLimited(orphans, 16, async (content) => {
        if (await env.store.head(StorageKeys.sample(sha256(content)))) left.push(sha256(content));
      });
      expect(left).toEqual([]);
      expect(await env.store.head(StorageKeys.sample(sha256(kept)))).not.toBeNull();
      expect(await sweeper.sweep(later)).toEqual({ scanned: 0, deleted: 0 });
    }, 300_000);
  });
});
