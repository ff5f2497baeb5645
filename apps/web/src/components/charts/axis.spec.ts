import { axisMaximum } from './axis';

describe('axisMaximum', () => {
  it.each([
    [0, 1],
    [1, 1],
    [3, 5],
    [7, 10],
    [11, 20],
    [42, 50],
    [99, 100],
    [130, 200],
  ])('rounds %d up to %d', (value, expected) => {
    expect(axisMaximum(value)).toBe(expected);
  });
});
