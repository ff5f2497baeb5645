import { RuleCheckGate } from './rule-check-gate';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('RuleCheckGate', () => {
  it('runs at most `concurrency` checks at once, then the waiting ones in order', async () => {
    const gate = new RuleCheckGate(2, 10);
    const releases = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = releases.map((release, i) =>
      gate.run(async () => {
        started.push(i);
        await release.promise;
        return i;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    releases[1].resolve();
    await runs[1];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    releases[0].resolve();
    releases[2].resolve();
    releases[3].resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('answers checks_busy past the waiting room, and frees its slot when a check throws', async () => {
    const gate = new RuleCheckGate(1, 1);
    const hold = deferred();
    const first = gate.run(() => hold.promise);
    const second = gate.run(async () => 'second');
    await expect(gate.run(async () => 'third')).rejects.toMatchObject({
      code: 'checks_busy',
      details: { retryAfterSeconds: 1 },
    });
    hold.resolve();
    await first;
    expect(await second).toBe('second');
    await expect(gate.run(() => Promise.reject(new Error('engine')))).rejects.toThrow('engine');
    expect(await gate.run(async () => 'after')).toBe('after');
  });
});
