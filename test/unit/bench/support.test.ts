import { fmt, mean, median, ratio, seconds, signed } from '../../../bench/support';

describe('bench number helpers', () => {
  test('when a number is formatted, then it has thousands separators and never reads -0', () => {
    expect(fmt(12345.678)).toBe('12,346');
    expect(fmt(2.5, 2)).toBe('2.50');
    expect(fmt(-0.4)).toBe('0');
    expect(fmt(NaN)).toBe('n/a');
  });

  test('when a difference is signed, then zero and gains read +', () => {
    expect([signed(60.4), signed(-0.2), signed(-3)]).toEqual(['+60', '+0', '-3']);
  });

  test('when times and ratios are shown, then seconds have two decimals and ratios an x', () => {
    expect(seconds(8656)).toBe('8.66 s');
    expect(ratio(1123, 1082)).toBe('1.04x');
  });

  test('when values are summarised, then an even count takes the middle two and nothing is NaN or 0', () => {
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(mean([1, 2, 3])).toBe(2);
    expect(mean([])).toBe(0);
  });
});
