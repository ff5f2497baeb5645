import { analysisProgress, flaggedDetections, rulePackForm, type RuleReport } from './rule-packs';

const rule = (overrides: Partial<RuleReport>): RuleReport => ({
  name: 'Acme_Rule',
  line: 1,
  private: false,
  cleanHits: 0,
  cleanFiles: [],
  warnings: [],
  flagged: [],
  ...overrides,
});

describe('analysisProgress', () => {
  it('counts the files profiled, or the clean files scanned, of the stage', () => {
    expect(analysisProgress({ stage: 'profiling', files: 40, done: 10 })).toEqual({
      stage: 'profiling',
      done: 10,
      files: 40,
      percent: 25,
    });
    expect(analysisProgress({ stage: 'clean corpus', files: 3, scanned: 3 }).percent).toBe(100);
  });

  it('has no figure while compiling, before the analysis starts, or for counts it cannot read', () => {
    expect(analysisProgress({ stage: 'compiling', files: 12 })).toEqual({
      stage: 'compiling',
      done: null,
      files: 12,
      percent: null,
    });
    expect(analysisProgress(null)).toEqual({ stage: null, done: null, files: null, percent: null });
    expect(analysisProgress({ stage: 'profiling', files: 0, done: 0 }).percent).toBeNull();
    expect(analysisProgress({ stage: 7, files: '12', scanned: 3 })).toEqual({
      stage: null,
      done: 3,
      files: null,
      percent: null,
    });
  });
});

describe('flaggedDetections', () => {
  it('is the flagged rules that detect: a flagged private helper stays as it is', () => {
    const rules = [
      rule({ name: 'Clean', flagged: [] }),
      rule({ name: 'Hits', flagged: ['clean_corpus_hits'], cleanHits: 2 }),
      rule({ name: 'Helper', private: true, flagged: ['slow'] }),
    ];
    expect(flaggedDetections({ compiled: true, rules }).map((r) => r.name)).toEqual(['Hits']);
  });

  it('is nothing for a file that does not compile (it is left out whole), or not analysed yet', () => {
    expect(flaggedDetections({ compiled: false, rules: [rule({ flagged: ['slow'] })] })).toEqual([]);
    expect(flaggedDetections({})).toEqual([]);
  });
});

describe('rulePackForm', () => {
  it('sends the channel before the pack, and no channel when none is chosen', () => {
    const pack = new File(['rule a { condition: true }'], 'acme.yar');
    expect([...rulePackForm(pack, 'beta').keys()]).toEqual(['channel', 'pack']);
    expect([...rulePackForm(pack, '').keys()]).toEqual(['pack']);
    expect((rulePackForm(pack, '').get('pack') as File).name).toBe('acme.yar');
  });
});
