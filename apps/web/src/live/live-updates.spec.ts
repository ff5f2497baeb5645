import { staleQueries } from './live-updates';

describe('what a live event makes stale', () => {
  it('a changed case: the lists and that case', () => {
    expect(staleQueries('case.changed', { type: 'case.changed', caseId: 'c1' })).toEqual([
      ['cases', 'list'],
      ['cases', 'detail', 'c1'],
    ]);
  });

  it('a new stream or lost events: every case and build', () => {
    expect(staleQueries('ready', { listening: true })).toEqual([['cases'], ['builds']]);
    expect(staleQueries('resync', null)).toEqual([['cases'], ['builds']]);
  });

  it("a build's stage, progress or status: the builds", () => {
    expect(
      staleQueries('build.changed', { type: 'build.changed', channel: 'default', version: 7, stage: 'regression' }),
    ).toEqual([['builds']]);
  });

  it('nothing for an event it cannot read', () => {
    expect(staleQueries('case.changed', null)).toEqual([]);
    expect(staleQueries('case.changed', { caseId: 42 })).toEqual([]);
  });
});
