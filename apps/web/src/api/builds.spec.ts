import { stagePercent } from './builds';

describe('stagePercent', () => {
  it('counts the files scanned of the stage', () => {
    expect(stagePercent({ stage: 'clean corpus', files: 400, scanned: 100 })).toBe(25);
    expect(stagePercent({ files: 3, scanned: 3 })).toBe(100);
  });

  it('has no figure for a stage that does not count files, or counts none', () => {
    expect(stagePercent({ stage: 'compiling', rules: 120 })).toBeNull();
    expect(stagePercent({ files: 0, scanned: 0 })).toBeNull();
    expect(stagePercent({ files: '12', scanned: 3 })).toBeNull();
  });
});
