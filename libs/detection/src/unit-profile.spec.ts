import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileUnits, UnitProfile } from './unit-profile';

describe(profileUnits.name, () => {
  let dir: string;
  let files: Array<{ path: string; name: string }>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigdesk-profile-'));
    files = [];
    for (const [name, bytes] of [
      ['small.txt', Buffer.from('hello')],
      ['tool.exe', Buffer.alloc(300_000, 0x41)],
    ] as const) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      files.push({ path, name });
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('measures each unit alone, in order, in one process; a unit that does not compile or runs out of time says so', async () => {
    const seen: UnitProfile[] = [];
    const profiles = await profileUnits(
      [
        { namespace: 'pack/cheap', source: 'rule Cheap { strings: $a = "hello" condition: $a }' },
        { namespace: 'pack/broken', source: 'rule Broken { condition: nope }' },
        {
          namespace: 'pack/named',
          source: 'rule Named { condition: extension == ".exe" and filename == "tool.exe" }',
        },
        {
          // every byte against every byte: far beyond a second on 300 KB
          namespace: 'pack/slow',
          source:
            'rule Slow { condition: for all i in (0..filesize) : ( for all j in (0..filesize) : ( uint8(i) != 0x100 + j ) ) }',
        },
      ],
      files,
      { scanTimeoutMs: 1_000, onUnit: (p) => seen.push(p) },
    );
    expect(profiles.map((p) => [p.index, 'error' in p ? p.error : 'measured'])).toEqual([
      [0, 'measured'],
      [1, 'does_not_compile'],
      [2, 'measured'],
      [3, 'timeout'],
    ]);
    expect(seen).toEqual(profiles);
    expect(profiles[1]).toMatchObject({ detail: expect.stringContaining('nope') });
    expect(profiles[3]).toMatchObject({ detail: files[1].path });
    for (const p of [profiles[0], profiles[2]])
      expect((p as { cpuMillis: number }).cpuMillis).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
