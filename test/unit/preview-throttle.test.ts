import { describe, expect, it } from 'vitest';
import { PreviewThrottle } from '../../src/features/preview/throttle.js';

// Previews are free of quota but not of Portkey reads: each person gets a bounded number a minute.

describe('the preview throttle', () => {
  it('allows `max` previews a minute per person, then refuses until the oldest is a minute old', () => {
    const t0 = 1_000_000;
    let now = t0;
    const throttle = new PreviewThrottle(3, () => now);
    const at = (t: number, who = 'U1') => {
      now = t;
      return throttle.take(who);
    };
    expect([at(t0), at(t0 + 10), at(t0 + 20)]).toEqual([true, true, true]);
    expect(at(t0 + 30)).toBe(false);
    // Someone else is not held up by U1.
    expect(at(t0 + 30, 'U2')).toBe(true);
    expect(at(t0 + 59_999)).toBe(false);
    // The first is a minute old: one more, and then the window is full again.
    expect(at(t0 + 60_000)).toBe(true);
    expect(at(t0 + 60_001)).toBe(false);
  });
});
