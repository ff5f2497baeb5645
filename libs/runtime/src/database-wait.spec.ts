import { retryWhileDatabaseUnavailable } from './database-wait';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' });

describe(retryWhileDatabaseUnavailable.name, () => {
  function sut(failures: unknown[]) {
    const lines: string[] = [];
    const waits: number[] = [];
    let attempts = 0;
    const run = retryWhileDatabaseUnavailable(
      async () => {
        attempts++;
        const failure = failures.shift();
        if (failure) throw failure;
        return 'migrated';
      },
      {
        what: 'PostgreSQL at 10.0.0.7:5432/sigdesk',
        log: (line) => lines.push(line),
        firstDelayMs: 500,
        maxDelayMs: 2_000,
        wait: async (ms) => waits.push(ms),
      },
    );
    return { run, lines, waits, attempts: () => attempts };
  }

  it('waits while PostgreSQL is away, longer each time up to a ceiling, and goes on once it answers', async () => {
    const { run, lines, waits, attempts } = sut([refused(), refused(), refused(), refused()]);
    await expect(run).resolves.toBe('migrated');
    expect(attempts()).toBe(5);
    expect(waits).toEqual([500, 1_000, 2_000, 2_000]);
    expect(lines[0]).toBe(
      'waiting for PostgreSQL at 10.0.0.7:5432/sigdesk: connect ECONNREFUSED 10.0.0.7:5432; trying again in 0.5 s',
    );
  });

  it('waits through a server that is starting up', async () => {
    const starting = Object.assign(new Error('the database system is starting up'), {
      code: '57P03',
      severity: 'FATAL',
    });
    const { run, attempts } = sut([starting]);
    await expect(run).resolves.toBe('migrated');
    expect(attempts()).toBe(2);
  });

  it('fails at once on anything else: a wrong password is not worth waiting for', async () => {
    const wrongPassword = Object.assign(new Error('password authentication failed for user "sigdesk"'), {
      code: '28P01',
      severity: 'FATAL',
    });
    const { run, lines, attempts } = sut([wrongPassword]);
    await expect(run).rejects.toBe(wrongPassword);
    expect(attempts()).toBe(1);
    expect(lines).toEqual([]);
  });
});
