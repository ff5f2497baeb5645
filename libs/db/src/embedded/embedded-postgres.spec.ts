import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe(startEmbeddedPostgres.name, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sigdesk-embedded-pg-'));
  const started: EmbeddedPostgres[] = [];
  const start = async () => {
    const server = await startEmbeddedPostgres({ dataDir });
    started.push(server);
    return server;
  };

  afterAll(async () => {
    for (const server of started.reverse()) await server.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a real PostgreSQL on loopback with a password, keeps its data across restarts, and stops', async () => {
    const first = await start();
    expect(first).toMatchObject({ owned: true, created: true });
    const url = new URL(first.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/sigdesk');
    expect(url.password.length).toBeGreaterThanOrEqual(24);
    expect(await query(first.url, 'SHOW listen_addresses')).toEqual([{ listen_addresses: '127.0.0.1' }]);
    await query(first.url, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)');
    // the password is required: the server is not open to every local user
    const anonymous = new URL(first.url);
    anonymous.password = 'wrong';
    await expect(query(anonymous.toString(), 'SELECT 1')).rejects.toThrow(/password/);

    await first.stop();
    await expect(query(first.url, 'SELECT 1')).rejects.toThrow();

    const again = await start();
    expect(again).toMatchObject({ owned: true, created: false });
    expect(await query(again.url, 'SELECT id FROM kept')).toEqual([{ id: 42 }]);
  });

  it('is shared by a second process of the installation, which leaves it running when it stops', async () => {
    const owner = started.at(-1)!;
    // as another process would see it: the owner file names a live process that is not the caller
    writeFileSync(join(dataDir, 'postgres.owner'), String(process.ppid));
    const sharer = await start();
    expect(sharer).toMatchObject({ owned: false, created: false, url: owner.url });
    await sharer.stop();
    expect(await query(owner.url, 'SELECT 1 AS up')).toEqual([{ up: 1 }]);
  });

  it('adopts a server left running by a process that died, and stops it', async () => {
    const orphan = started.at(-2)!;
    writeFileSync(join(dataDir, 'postgres.owner'), '999999999');
    const adopter = await start();
    expect(adopter).toMatchObject({ owned: true, created: false, url: orphan.url });
    await adopter.stop();
    await expect(query(orphan.url, 'SELECT 1')).rejects.toThrow();
  });

  it('listens on the port it is given, so that a stopped server comes back where its clients expect it', async () => {
    const port = Number(new URL(started[0].url).port);
    const server = await startEmbeddedPostgres({ dataDir, port });
    started.push(server);
    expect(server.url).toBe(started[0].url);
    expect(await query(server.url, 'SELECT id FROM kept')).toEqual([{ id: 42 }]);
  });
});
