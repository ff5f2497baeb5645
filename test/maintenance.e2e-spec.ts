import { randomBytes, createHash } from 'node:crypto';
import { Client } from 'pg';
import { createDatabase, migrateToLatest, migrations } from '@sigdesk/db';
import { OrphanSampleSweeper, SampleObjectClaimsRepository } from '@sigdesk/intake';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';
import {
  ApiResponse,
  seedCustomer,
  seedRelease,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';

describe(OrphanSampleSweeper.name, () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false, env: { SIGDESK_ORPHAN_GRACE_MINUTES: '10' } });
    await seedRelease(env, 1);
  });
  afterAll(async () => {
    await env?.close();
  });

  /** What a submission leaves behind when its transaction fails after the upload and it cannot remove the object. */
  async function leaveOrphan(content: Buffer): Promise<string> {
    const sha256 = createHash('sha256').update(content).digest('hex');
    const claims = env.sigdesk.app.get(SampleObjectClaimsRepository);
    const claim = (await claims.claimUploads([sha256]))!;
    await env.store.put(StorageKeys.sample(sha256), content);
    await claims.releaseUploads(claim);
    return StorageKeys.sample(sha256);
  }

  it('removes sample objects no case references once they are older than the grace period, and only those', async () => {
    const customer = await seedCustomer(env);
    const kept = randomBytes(300);
    const res = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ databaseVersion: '1' }, [{ name: 'k', content: kept }]),
    );
    expect(res.status).toBe(201);

    const orphanKey = await leaveOrphan(randomBytes(300));

    const sweeper = env.sigdesk.app.get(OrphanSampleSweeper);
    expect(await sweeper.sweep(new Date())).toEqual({ scanned: 0, deleted: 0, staging: 0 }); // the orphan is young
    const later = new Date(Date.now() + 11 * 60_000);
    // the recorded sample is no candidate: its upload was taken off the list when its case committed
    expect(await sweeper.sweep(later)).toEqual({ scanned: 1, deleted: 1, staging: 0 });
    expect(await env.store.head(orphanKey)).toBeNull();
    const keptKey = StorageKeys.sample(createHash('sha256').update(kept).digest('hex'));
    expect(await env.store.head(keptKey)).not.toBeNull();
  });

  it('keeps an object that a submission stores again while the sweeper is removing it', async () => {
    const content = randomBytes(300);
    // left behind by a submission whose transaction failed, long enough ago to be swept
    const key = await leaveOrphan(content);
    const customer = await seedCustomer(env, { name: 'Second Try Co' });

    const store = env.sigdesk.app.get(ObjectStore);
    const deleteObject = store.delete.bind(store);
    let submission: Promise<ApiResponse> | undefined;
    const spy = jest.spyOn(store, 'delete').mockImplementation(async (deleted, ...rest) => {
      if (deleted === key && !submission) {
        // the customer sends the file again after the sweeper decided to remove it, before the object is gone
        submission = customer.client.upload(
          '/v1/submissions',
          submissionForm({ databaseVersion: '1' }, [{ name: 'again.bin', content }]),
        );
        await Promise.race([submission, new Promise((resolve) => setTimeout(resolve, 1_500))]);
      }
      return deleteObject(deleted, ...rest);
    });
    const later = new Date(Date.now() + 11 * 60_000);
    const sweeper = env.sigdesk.app.get(OrphanSampleSweeper);
    try {
      await sweeper.sweep(later);
    } finally {
      spy.mockRestore();
    }
    expect(submission).toBeDefined();
    expect((await submission!).status).toBe(201);
    expect(await env.store.head(key)).not.toBeNull();
    await sweeper.sweep(later);
    expect(await env.store.head(key)).not.toBeNull();
  });
});

describe(migrateToLatest.name, () => {
  it('applies each migration once when several processes start together', async () => {
    const adminUrl = process.env.SIGDESK_TEST_ADMIN_URL!;
    const name = `sigdesk_migrate_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const dbs = Array.from({ length: 4 }, () => createDatabase(url.toString(), 1));
    try {
      const applied = await Promise.all(dbs.map((db) => migrateToLatest(db)));
      expect(applied.flat()).toEqual(Object.keys(migrations));
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM pg_database WHERE datname = $1`, [name]);
      expect(rows[0].n).toBe(1);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
