import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ProcessIdentity, THIS_PROCESS } from '../process-identity';
import { createSpoolFolder, sweepSpoolFolders } from './spool';

const HOUR = 60 * 60_000;

describe(sweepSpoolFolders.name, () => {
  let root: string;
  const now = new Date();
  const hoursAgo = (hours: number) => new Date(now.getTime() - hours * HOUR);

  /** A spool folder holding one file, every part of it last changed at `changedAt`. */
  async function spoolFolder(changedAt: Date, owner: ProcessIdentity = THIS_PROCESS): Promise<string> {
    const dir = await createSpoolFolder(root, owner);
    const file = join(dir, 'sample');
    await writeFile(file, 'bytes');
    await utimes(file, changedAt, changedAt);
    await utimes(dir, changedAt, changedAt);
    return dir;
  }

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sigdesk-spool-spec-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('removes the folders of requests cut short, once unchanged for the idle time, and keeps the others', async () => {
    const stale = await spoolFolder(hoursAgo(7));
    const recent = await spoolFolder(hoursAgo(1));
    const removed = await sweepSpoolFolders(root, { idleMs: 6 * HOUR, now });
    expect(removed).toEqual([stale]);
    expect(await readdir(root)).toEqual([basename(recent)]);
  });

  it('keeps an old folder whose request still writes into it', async () => {
    const dir = await spoolFolder(hoursAgo(9));
    // an archive being unpacked: a staging folder with a file written a minute ago
    const staging = join(dir, '.unpacking-abc123');
    await mkdir(staging);
    await writeFile(join(staging, 'entry'), 'more bytes');
    await utimes(join(staging, 'entry'), hoursAgo(0.02), hoursAgo(0.02));
    await utimes(staging, hoursAgo(9), hoursAgo(9));
    await utimes(dir, hoursAgo(9), hoursAgo(9));
    expect(await sweepSpoolFolders(root, { idleMs: 6 * HOUR, now })).toEqual([]);
  });

  it("never removes the folder of one of this process's live requests", async () => {
    const live = await spoolFolder(hoursAgo(30));
    expect(await sweepSpoolFolders(root, { idleMs: 6 * HOUR, now, live: new Set([live]) })).toEqual([]);
    expect(await readdir(root)).toEqual([basename(live)]);
  });

  it('removes at once the folders of a process of this machine that is no longer running', async () => {
    const exited = spawnSync(process.execPath, ['-e', '']);
    expect(exited.status).toBe(0);
    const dead = await spoolFolder(hoursAgo(0), { ...THIS_PROCESS, pid: exited.pid, run: '0badc0de' });
    const parent = await spoolFolder(hoursAgo(0), { ...THIS_PROCESS, pid: process.ppid, run: '0badc0de' });
    expect(await sweepSpoolFolders(root, { idleMs: 6 * HOUR, now })).toEqual([dead]);
    expect(await readdir(root)).toEqual([basename(parent)]);
  });

  it("removes at once an earlier run's folders made under this process's pid, and keeps this run's", async () => {
    const earlier = await spoolFolder(hoursAgo(0), { ...THIS_PROCESS, run: '0badc0de' });
    const mine = await spoolFolder(hoursAgo(0));
    expect(await sweepSpoolFolders(root, { idleMs: 6 * HOUR, now })).toEqual([earlier]);
    expect(await readdir(root)).toEqual([basename(mine)]);
  });

  it("leaves another machine's folders to the idle rule, whatever its pids", async () => {
    const exited = spawnSync(process.execPath, ['-e', '']);
    const elsewhere = { host: 'feedface', pid: exited.pid, run: '0badc0de' };
    const stale = await spoolFolder(hoursAgo(7), elsewhere);
    const recent = await spoolFolder(hoursAgo(1), elsewhere);
    expect(await sweepSpoolFolders(root, { idleMs: 6 * HOUR, now })).toEqual([stale]);
    expect(await readdir(root)).toEqual([basename(recent)]);
  });

  it('touches nothing but spool folders', async () => {
    const others = ['sigdesk-test-data-abc123', 'sigdesk-intake-toolongname', 'notes'];
    for (const name of others) {
      await mkdir(join(root, name));
      await utimes(join(root, name), hoursAgo(48), hoursAgo(48));
    }
    await writeFile(join(root, 'sigdesk-intake-file01'), 'a file, not a folder');
    await utimes(join(root, 'sigdesk-intake-file01'), hoursAgo(48), hoursAgo(48));
    expect(await sweepSpoolFolders(root, { idleMs: 6 * HOUR, now })).toEqual([]);
    expect((await readdir(root)).sort()).toEqual([...others, 'sigdesk-intake-file01'].sort());
  });

  it('finds nothing to do when the root does not exist', async () => {
    expect(await sweepSpoolFolders(join(root, 'missing'), { idleMs: HOUR, now })).toEqual([]);
  });
});
