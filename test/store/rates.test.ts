import { expect, it } from 'vitest';
import { StoreError } from '../../src/store/index.js';
import { describeEngines } from './harness.js';

const MINUTE = 60_000;

describeEngines('rate counters', (h) => {
  it('lets exactly max of 20 concurrent reservations through', async () => {
    const now = 10 * MINUTE + 123;
    const results = await Promise.all(Array.from({ length: 20 }, () => h.store.rates.reserve('team:T1', MINUTE, 5, now)));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    expect(
      results
        .filter((r) => r.allowed)
        .map((r) => r.count)
        .sort(),
    ).toEqual([1, 2, 3, 4, 5]);
    for (const r of results) expect(r).toMatchObject({ windowStart: 10 * MINUTE, resetAt: 11 * MINUTE });
    expect(await h.rawRows('rate_counters')).toEqual([{ key: 'team:T1', window_start: 10 * MINUTE, count: 5, expires_at: 11 * MINUTE }]);
  });

  it("reports the current window's count, and 0 for a new window or an unknown key", async () => {
    const now = 20 * MINUTE + 5;
    await h.store.rates.reserve('seen', MINUTE, 5, now);
    await h.store.rates.reserve('seen', MINUTE, 5, now + 1);
    expect(await h.store.rates.current('seen', MINUTE, now + 59_000)).toBe(2);
    expect(await h.store.rates.current('seen', MINUTE, now + MINUTE)).toBe(0);
    expect(await h.store.rates.current('never', MINUTE, now)).toBe(0);
  });

  it('holds the limit across processes sharing the database', async () => {
    const other = await h.testDb.open();
    const now = 3 * MINUTE;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? other : h.store).rates.reserve('user:U1', MINUTE, 5, now)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
  });

  it('starts over in the next window, counts keys apart, and gives back released uses', async () => {
    const now = 7 * MINUTE;
    for (let i = 0; i < 2; i++) expect((await h.store.rates.reserve('k', MINUTE, 2, now)).allowed).toBe(true);
    const refused = await h.store.rates.reserve('k', MINUTE, 2, now + 1000);
    expect(refused).toEqual({ allowed: false, windowStart: now, resetAt: now + MINUTE, count: null });
    expect((await h.store.rates.reserve('other', MINUTE, 2, now)).allowed).toBe(true);

    expect(await h.store.rates.release('k', now)).toBe(true);
    expect((await h.store.rates.reserve('k', MINUTE, 2, now + 2000)).count).toBe(2);

    expect((await h.store.rates.reserve('k', MINUTE, 2, now + MINUTE)).count).toBe(1);

    expect(await h.store.rates.release('never', now)).toBe(false);
    // One row per key and window (ended windows are pruned by retention: retention.test.ts).
    expect(await h.rawRows('rate_counters')).toHaveLength(3);
  });

  it('never releases below zero, refuses everything with max 0, and rejects a bad window', async () => {
    const now = MINUTE;
    expect((await h.store.rates.reserve('z', MINUTE, 1, now)).allowed).toBe(true);
    expect(await h.store.rates.release('z', now)).toBe(true);
    expect(await h.store.rates.release('z', now)).toBe(false);
    expect((await h.store.rates.reserve('none', MINUTE, 0, now)).allowed).toBe(false);
    await expect(h.store.rates.reserve('z', 0, 1, now)).rejects.toBeInstanceOf(StoreError);
  });
});
