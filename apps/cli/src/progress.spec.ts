import { formatBytes, Progress } from './progress';

function recorder(tty: boolean) {
  const out = { text: '', isTTY: tty, columns: 80, write: (chunk: string) => (out.text += chunk) };
  return out;
}

describe('Progress', () => {
  it('redraws one line in place on a terminal, at most every 100 ms', () => {
    let now = 0;
    const out = recorder(true);
    const progress = new Progress(out, 'rules.yar', 2048, { now: () => now });
    progress.update(512);
    now = 50;
    progress.update(1024); // too soon: not drawn
    now = 150;
    progress.update(1536);
    progress.done(2048);
    const frames = out.text.split('\r').filter(Boolean);
    expect(frames).toHaveLength(4);
    expect(frames[0]).toContain('0 B / 2.0 KiB (0%)');
    expect(frames[2]).toMatch(/\[#+-+\] 1\.5 KiB \/ 2\.0 KiB \(75%\)/);
    expect(frames[3]).toBe(`rules.yar [${'#'.repeat(35)}] 2.0 KiB / 2.0 KiB (100%)\x1b[K 0.1 s\n`);
    expect(new Set(frames.map((frame) => frame.indexOf(']')))).toEqual(new Set([46]));
    expect(out.text.split('\n')).toHaveLength(2);
  });

  it('prints a plain line every few seconds when stderr is not a terminal', () => {
    let now = 0;
    const out = recorder(false);
    const progress = new Progress(out, 'rules.yar', 10 * 1024 * 1024, { now: () => now, lineEveryMs: 2_000 });
    for (let second = 1; second <= 5; second++) {
      now = second * 1000;
      progress.update(second * 1024 * 1024);
    }
    progress.done(10 * 1024 * 1024);
    expect(out.text).toBe(
      'rules.yar: 2.0 MiB / 10.0 MiB (20%)\n' +
        'rules.yar: 4.0 MiB / 10.0 MiB (40%)\n' +
        'rules.yar: 10.0 MiB in 5.0 s\n',
    );
  });

  it('shows bytes alone when the size is unknown', () => {
    const out = recorder(true);
    const progress = new Progress(out, 'delta.json', undefined, { now: () => 0 });
    progress.fail();
    expect(out.text).toBe('\rdelta.json 0 B\x1b[K\n');
  });

  it('formats sizes in binary units', () => {
    expect([0, 1023, 1024, 1536, 5 * 1024 ** 3].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 KiB',
      '5.0 GiB',
    ]);
  });
});
