import { coalesced, staleQueries } from './live-updates';

describe('what a live event makes stale', () => {
  it("a changed case: the lists, that case, the analysts' queue and their view of the case", () => {
    expect(staleQueries('case.changed', { type: 'case.changed', caseId: 'c1' })).toEqual([
      ['cases', 'list'],
      ['cases', 'detail', 'c1'],
      ['review', 'queue'],
      ['review', 'case', 'c1'],
    ]);
  });

  it('a new stream or lost events: every case, everything of the review, every change and build', () => {
    const everything = [['cases'], ['review'], ['signature-changes'], ['builds']];
    expect(staleQueries('ready', { listening: true })).toEqual(everything);
    expect(staleQueries('resync', null)).toEqual(everything);
  });

  it("a build's stage, progress or status: the builds", () => {
    expect(
      staleQueries('build.changed', { type: 'build.changed', channel: 'default', version: 7, stage: 'regression' }),
    ).toEqual([['builds']]);
  });

  it('a signature change: that change and the approvals inbox', () => {
    expect(staleQueries('change.changed', { changeId: 'ch1', caseId: 'c1', status: 'validated' })).toEqual([
      ['signature-changes', 'detail', 'ch1'],
      ['signature-changes', 'awaiting-approval'],
    ]);
  });

  it('nothing for an event it cannot read', () => {
    expect(staleQueries('change.changed', { caseId: 'c1' })).toEqual([]);
    expect(staleQueries('case.changed', null)).toEqual([]);
    expect(staleQueries('case.changed', { caseId: 42 })).toEqual([]);
  });
});

describe('coalesced runs', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs at once, then once at the end of each interval however many calls came in it', () => {
    const run = jest.fn();
    const queue = coalesced(run, 1_000);
    queue.call();
    jest.advanceTimersByTime(0);
    expect(run).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 9; i++) {
      jest.advanceTimersByTime(100);
      queue.call();
    }
    expect(run).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(100);
    expect(run).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(5_000);
    expect(run).toHaveBeenCalledTimes(2);
    queue.call();
    jest.advanceTimersByTime(0);
    expect(run).toHaveBeenCalledTimes(3);
  });

  it('runs nothing more once cancelled', () => {
    const run = jest.fn();
    const queue = coalesced(run, 1_000);
    queue.call();
    queue.cancel();
    jest.advanceTimersByTime(5_000);
    expect(run).not.toHaveBeenCalled();
  });
});
