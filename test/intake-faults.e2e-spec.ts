import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSpoolFolder,
  formatProcessIdentity,
  OrphanSampleSweeper,
  SampleObjectClaimsRepository,
  THIS_PROCESS,
  UPLOAD_CLAIM_TTL_MS,
} from '@sigdesk/intake';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';
import {
  seedCustomer,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';

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
  let stale: string;
  let fresh: string;
  let killed: string;

  beforeAll(async () => {
    // what requests cut short by a crash leave in the spool (a day ago), and a request of another process now
    stale = await mkdtemp(join(tmpdir(), 'sigdesk-intake-'));
    await writeFile(join(stale, 'partial-upload'), randomBytes(64));
    const dayAgo = new Date(Date.now() - 24 * 3_600_000);
    await utimes(join(stale, 'partial-upload'), dayAgo, dayAgo);
    await utimes(stale, dayAgo, dayAgo);
    fresh = await mkdtemp(join(tmpdir(), 'sigdesk-intake-'));
    await writeFile(join(fresh, 'upload-in-progress'), randomBytes(64));
    // a request of a process of this machine killed a moment ago (kill -9): its pid runs no more
    const exited = spawnSync(process.execPath, ['-e', '']);
    killed = await createSpoolFolder(tmpdir(), { ...THIS_PROCESS, pid: exited.pid, run: '0badc0de' });
    await writeFile(join(killed, 'partial-upload'), randomBytes(64));

    env = await startTestEnvironment({ worker: false, env: { SIGDESK_ORPHAN_GRACE_MINUTES: '10' } });
    await seedRelease(env, 100);
  });
  afterAll(async () => {
    await rm(fresh, { recursive: true, force: true });
    await env?.close();
  });

  describe('spool folders', () => {
    it('removes at start the folders that requests cut short left, not those of live requests', async () => {
      await expect(stat(stale)).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(stat(killed)).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await stat(join(fresh, 'upload-in-progress'))).isFile()).toBe(true);
    });
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
      expect(await sweeper.sweep(later)).toEqual({ scanned: 1_100, deleted: 1_100, staging: 0 });

      const left: string[] = [];
      await eachLimited(orphans, 16, async (content) => {
        if (await env.store.head(StorageKeys.sample(sha256(content)))) left.push(sha256(content));
      });
      expect(left).toEqual([]);
      expect(await env.store.head(StorageKeys.sample(sha256(kept)))).not.toBeNull();
      expect(await sweeper.sweep(later)).toEqual({ scanned: 0, deleted: 0, staging: 0 });
    }, 300_000);
  });

  describe('upload claims', () => {
    it('keep an object from the sweeper while renewed, and let it go once they expire unrenewed', async () => {
      const claims = env.sigdesk.app.get(SampleObjectClaimsRepository);
      const sweeper = env.sigdesk.app.get(OrphanSampleSweeper);
      const content = randomBytes(64);
      const claim = (await claims.claimUploads([sha256(content)]))!;
      await env.store.put(StorageKeys.sample(sha256(content)), content);
      const claimedAgo = (minutes: number) =>
        env.db
          .updateTable('sample_object_claims')
          .set({ claimed_at: new Date(Date.now() - minutes * 60_000) })
          .where('sha256', '=', sha256(content))
          .execute();
      const later = new Date(Date.now() + 11 * 60_000);

      // its holder still at work: renewed within the lifetime, the claim holds
      await claimedAgo(UPLOAD_CLAIM_TTL_MS / 60_000 - 1);
      await claims.renewUploads(claim);
      expect(await sweeper.sweep(later)).toEqual({ scanned: 1, deleted: 0, staging: 0 });
      expect(await env.store.head(StorageKeys.sample(sha256(content)))).not.toBeNull();

      // its holder gone (killed): once the lifetime has passed, the object is the sweeper's
      await claimedAgo(UPLOAD_CLAIM_TTL_MS / 60_000 + 1);
      await claims.renewUploads(claim); // too late: an expired claim stays ended
      expect(await sweeper.sweep(later)).toEqual({ scanned: 1, deleted: 1, staging: 0 });
      expect(await env.store.head(StorageKeys.sample(sha256(content)))).toBeNull();
    });

    it('of a process of this machine that is gone end at the sweep, so its upload is removed at once', async () => {
      const claims = env.sigdesk.app.get(SampleObjectClaimsRepository);
      const sweeper = env.sigdesk.app.get(OrphanSampleSweeper);
      const content = randomBytes(64);
      await claims.claimUploads([sha256(content)]);
      await env.store.put(StorageKeys.sample(sha256(content)), content);
      // as if an API killed with -9 had taken it: its pid runs no more
      const exited = spawnSync(process.execPath, ['-e', '']);
      const killed = formatProcessIdentity({ ...THIS_PROCESS, pid: exited.pid, run: '0badc0de' });
      await env.db
        .updateTable('sample_object_claims')
        .set({ holder: killed })
        .where('sha256', '=', sha256(content))
        .execute();
      const other = randomBytes(64);
      await claims.claimUploads([sha256(other)]); // this process's own claim: kept
      await env.store.put(StorageKeys.sample(sha256(other)), other);

      const later = new Date(Date.now() + 11 * 60_000);
      expect(await sweeper.sweep(later)).toEqual({ scanned: 2, deleted: 1, staging: 0 });
      expect(await env.store.head(StorageKeys.sample(sha256(content)))).toBeNull();
      expect(await env.store.head(StorageKeys.sample(sha256(other)))).not.toBeNull();
    });
  });

  describe('a refused request stores nothing', () => {
    let msa: SeededCustomer;

    beforeAll(async () => {
      msa = await seedCustomer(env, { tier: 'msa_start', name: 'Premium Race Inc' });
    });

    async function setPremiumUsed(used: number) {
      await env.db.updateTable('contracts').set({ premium_used: used }).where('id', '=', msa.contractId).execute();
    }

    async function samplesRecorded(content: Buffer) {
      const row = await env.db.selectFrom('samples').select('sha256').where('sha256', '=', sha256(content)).execute();
      return row.length;
    }

    it('refuses a premium submission with no premium incident left before storing its sample', async () => {
      await setPremiumUsed(6);
      const content = randomBytes(500);
      const res = await msa.client.upload(
        '/v1/submissions',
        submissionForm({ premium: 'true' }, [{ name: 'p.bin', content }]),
      );
      expect({ status: res.status, error: res.body.error }).toEqual({
        status: 422,
        error: 'premium_incidents_exhausted',
      });
      expect(await env.store.head(StorageKeys.sample(sha256(content)))).toBeNull();
      expect(await samplesRecorded(content)).toBe(0);
    });

    it('removes the sample of a premium submission whose last incident another submission spent meanwhile', async () => {
      await setPremiumUsed(5);
      const content = randomBytes(500);
      const store = env.sigdesk.app.get(ObjectStore);
      const putFile = store.putFile.bind(store);
      // the last premium incident goes to another submission between the check and this one's transaction
      const spy = jest.spyOn(store, 'putFile').mockImplementation(async (...args) => {
        await setPremiumUsed(6);
        return putFile(...args);
      });
      try {
        const res = await msa.client.upload(
          '/v1/submissions',
          submissionForm({ premium: 'true' }, [{ name: 'race.bin', content }]),
        );
        expect({ status: res.status, error: res.body.error }).toEqual({
          status: 422,
          error: 'premium_incidents_exhausted',
        });
        expect(spy).toHaveBeenCalled();
      } finally {
        spy.mockRestore();
      }
      expect(await env.store.head(StorageKeys.sample(sha256(content)))).toBeNull();
      expect(await samplesRecorded(content)).toBe(0);
    });

    it('removes the sample of a reply refused in its transaction', async () => {
      await setPremiumUsed(0);
      const submitted = await msa.client.upload('/v1/submissions', submissionForm());
      expect(submitted.status).toBe(201);
      const content = randomBytes(500);
      const form = new FormData();
      form.append('message', 'one more sample');
      form.append('sample', new Blob([content]), 'more.bin');
      const res = await msa.client.upload(`/v1/submissions/${submitted.body.id}/replies`, form);
      // the case is queued, not waiting for the customer: the reply is refused once its sample is stored
      expect({ status: res.status, error: res.body.error }).toEqual({ status: 409, error: 'not_awaiting_customer' });
      expect(await env.store.head(StorageKeys.sample(sha256(content)))).toBeNull();
      expect(await samplesRecorded(content)).toBe(0);
    });
  });
});
