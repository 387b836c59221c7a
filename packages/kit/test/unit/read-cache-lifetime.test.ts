// The read cache's lifetime and stale-while-revalidate, on a fake clock (issue 23: /goods counted its lifetime
// from the start of a load, so a slow upstream handed out entries already stale, and readers queued behind it).
import { readCache } from '../../src/read-cache';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** A loader whose calls are counted and settled by the test; each call advances the clock by `takesMs` when it settles. */
function slowLoader(time: ReturnType<typeof clock>, takesMs: number) {
  const calls: Array<{ previous: string | undefined; settle: (value: string) => void; fail: (error: Error) => void }> = [];
  const loader = (previous: string | undefined) =>
    new Promise<string>((resolve, reject) => {
      calls.push({
        previous,
        settle: (value) => {
          time.advance(takesMs);
          resolve(value);
        },
        fail: (error) => {
          time.advance(takesMs);
          reject(error);
        },
      });
    });
  return { calls, loader };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('readCache lifetime', () => {
  it("counts an entry's age from its answer's arrival, not from the start of its load", async () => {
    const time = clock();
    const cache = readCache<string>({ maxAgeMs: 1_000, maxEntries: 10, now: time.now });
    const { calls, loader } = slowLoader(time, 1_500);
    const first = cache.get('a', loader);
    calls[0]!.settle('v1');
    expect(await first).toBe('v1');
    time.advance(900);
    expect(await cache.get('a', loader)).toBe('v1');
    expect(calls).toHaveLength(1);
    time.advance(200);
    void cache.get('a', loader);
    expect(calls).toHaveLength(2);
  });

  it('serves the old entry while one refresh runs; only the first load is awaited', async () => {
    const time = clock();
    const cache = readCache<string>({ maxAgeMs: 1_000, maxEntries: 10, staleWhileRevalidateMs: 10_000, now: time.now });
    const { calls, loader } = slowLoader(time, 0);
    const first = cache.get('a', loader);
    let answered = false;
    void first.then(() => (answered = true));
    await settled();
    expect(answered).toBe(false);
    calls[0]!.settle('v1');
    expect(await first).toBe('v1');

    time.advance(1_500);
    const during = await Promise.all([cache.get('a', loader), cache.get('a', loader), cache.get('a', loader)]);
    expect(during).toEqual(['v1', 'v1', 'v1']);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.previous).toBe('v1');
    calls[1]!.settle('v2');
    await settled();
    expect(await cache.get('a', loader)).toBe('v2');
    expect(calls).toHaveLength(2);
  });

  it('keeps the old entry when a background refresh fails, and tries again on the next read', async () => {
    const time = clock();
    const cache = readCache<string>({ maxAgeMs: 1_000, maxEntries: 10, staleWhileRevalidateMs: 10_000, now: time.now });
    const { calls, loader } = slowLoader(time, 0);
    const first = cache.get('a', loader);
    calls[0]!.settle('v1');
    await first;
    time.advance(2_000);
    expect(await cache.get('a', loader)).toBe('v1');
    calls[1]!.fail(new Error('upstream down'));
    await settled();
    expect(await cache.get('a', loader)).toBe('v1');
    expect(calls).toHaveLength(3);
    calls[2]!.settle('v2');
    await settled();
    expect(await cache.get('a', loader)).toBe('v2');
  });

  it('awaits a load once the entry is older than its age and the stale window together', async () => {
    const time = clock();
    const cache = readCache<string>({ maxAgeMs: 1_000, maxEntries: 10, staleWhileRevalidateMs: 2_000, now: time.now });
    const { calls, loader } = slowLoader(time, 0);
    const first = cache.get('a', loader);
    calls[0]!.settle('v1');
    await first;
    time.advance(3_000);
    const read = cache.get('a', loader);
    calls[1]!.settle('v2');
    expect(await read).toBe('v2');
  });

  it('at maxAgeMs 0 never serves a stale entry: every read waits for its load', async () => {
    const time = clock();
    const cache = readCache<string>({ maxAgeMs: 0, maxEntries: 10, staleWhileRevalidateMs: 10_000, now: time.now });
    const { calls, loader } = slowLoader(time, 0);
    const first = cache.get('a', loader);
    calls[0]!.settle('v1');
    await first;
    const second = cache.get('a', loader);
    calls[1]!.settle('v2');
    expect(await second).toBe('v2');
  });
});
