import { staleQueries } from './live-updates';

describe('what a live event makes stale', () => {
  it('a changed case: the lists and that case', () => {
    expect(staleQueries('case.changed', { type: 'case.changed', caseId: 'c1' })).toEqual([
      ['cases', 'list'],
      ['cases', 'detail', 'c1'],
    ]);
  });

  it('a new stream or lost events: every case', () => {
    expect(staleQueries('ready', { listening: true })).toEqual([['cases'], ['signature-changes']]);
    expect(staleQueries('resync', null)).toEqual([['cases'], ['signature-changes']]);
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
