import { postponementMs } from './webhook-deliverer';

describe(postponementMs.name, () => {
  it('waits 1 to 3 s the first time', () => {
    expect(postponementMs(0, () => 0)).toBe(1_000);
    expect(postponementMs(0, () => 0.999_999)).toBe(3_000);
  });

  it('waits half as long again each time a delivery is postponed, up to 15 s', () => {
    expect(postponementMs(1, () => 0)).toBe(1_500);
    expect(postponementMs(2, () => 0)).toBe(2_250);
    expect(postponementMs(5, () => 0.5)).toBe(15_000);
    expect(postponementMs(1_000, () => 0)).toBe(15_000);
  });
});
