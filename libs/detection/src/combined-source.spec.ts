import { CombinedSource } from './combined-source';

describe(CombinedSource.name, () => {
  const sut = new CombinedSource([
    { name: 'a.yar', source: 'line a1\nline a2' },
    { name: 'b.yar', source: 'line b1\n' },
    { name: 'c.yar', source: 'line c1' },
  ]);

  it('starts each source on a line of its own', () => {
    expect(sut.text).toBe('\nline a1\nline a2\nline b1\n\nline c1');
  });

  it('traces each line of the combined text back to its source and line', () => {
    expect([1, 2, 3, 4, 5, 6].map((line) => sut.locate(line))).toEqual([
      undefined,
      { index: 0, name: 'a.yar', line: 1 },
      { index: 0, name: 'a.yar', line: 2 },
      { index: 1, name: 'b.yar', line: 1 },
      { index: 1, name: 'b.yar', line: 2 },
      { index: 2, name: 'c.yar', line: 1 },
    ]);
  });

  it('keeps a compiler text without a location as it is', () => {
    expect(sut.diagnose('error', 'E999', 'error[E999]: something went wrong')).toEqual({
      severity: 'error',
      code: 'E999',
      message: 'something went wrong',
      detail: 'error[E999]: something went wrong',
    });
  });
});
