import { describe, expect, it } from 'vitest';
import { verifySlackSignature } from '../../scripts/bench/floor.js';
import { percentile, summarize } from '../../scripts/bench/stats.js';
import { slackSignature } from '../support/driver.js';

describe('bench percentiles (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('returns a sample that was seen, never an interpolation', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([10, 20, 30], 99)).toBe(30);
    expect(percentile([7], 1)).toBe(7);
  });

  it('has no percentile of nothing, and refuses one out of range', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('summarizes unsorted samples, rounded to 0.1', () => {
    const shuffled = [...hundred].reverse().map((x) => x + 0.04);
    expect(summarize(shuffled)).toEqual({ n: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(summarize([]).p99).toBeNaN();
  });
});

describe('the floor server checks Slack signatures like the app', () => {
  const secret = 'floor-secret';
  const body = 'command=%2Fportkey&text=help';
  const now = 1_700_000_000;

  it('accepts a correct v0 signature within 5 minutes, either side', () => {
    for (const ts of [now, now - 299, now + 299]) {
      expect(verifySlackSignature(secret, String(ts), slackSignature(secret, ts, body), body, now)).toBe(true);
    }
  });

  it('refuses a stale, future, wrong or missing signature', () => {
    const old = now - 301;
    expect(verifySlackSignature(secret, String(old), slackSignature(secret, old, body), body, now)).toBe(false);
    expect(verifySlackSignature(secret, String(now + 301), slackSignature(secret, now + 301, body), body, now)).toBe(false);
    expect(verifySlackSignature(secret, String(now), slackSignature('other', now, body), body, now)).toBe(false);
    expect(verifySlackSignature(secret, String(now), slackSignature(secret, now, body), `${body}&x=1`, now)).toBe(false);
    expect(verifySlackSignature(secret, undefined, slackSignature(secret, now, body), body, now)).toBe(false);
    expect(verifySlackSignature(secret, String(now), undefined, body, now)).toBe(false);
    expect(verifySlackSignature(secret, 'soon', 'v0=00', body, now)).toBe(false);
  });
});
