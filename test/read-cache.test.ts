// The kit's per-process read cache (sales' goods, reviews' item existence), as pure logic: the merging of
// concurrent loads cannot be observed deterministically through HTTP. Its use is tested through HTTP beside
// each service.
import { readCache } from '../packages/kit/src/read-cache';

/** A loader whose calls are counted and settled by the test. */
function controlledLoader() {
  const calls: Array<{ previous: string | undefined; resolve: (value: string) => void; reject: (error: Error) => void }> = [];
  const loader = (previous: string | undefined) =>
    new Promise<string>((resolve, reject) => {
      calls.push({ previous, resolve, reject });
    });
  return { calls, loader };
}

describe('readCache', () => {
  it('merges identical concurrent loads into one, and keeps different keys apart', async () => {
    const cache = readCache<string>({ maxAgeMs: 0, maxEntries: 10 });
    const { calls, loader } = controlledLoader();
    const reads = [cache.get('a', loader), cache.get('a', loader), cache.get('a', loader), cache.get('b', loader)];
    expect(calls).toHaveLength(2);
    calls[0]!.resolve('A');
    calls[1]!.resolve('B');
    expect(await Promise.all(reads)).toEqual(['A', 'A', 'A', 'B']);
  });

  it('serves a value within maxAgeMs without loading, and after it loads again with the old value to revalidate', async () => {
    const kept = readCache<string>({ maxAgeMs: 60_000, maxEntries: 10 });
    const first = controlledLoader();
    const read = kept.get('a', first.loader);
    first.calls[0]!.resolve('v1');
    await read;
    expect(await kept.get('a', first.loader)).toBe('v1');
    expect(first.calls).toHaveLength(1);

    const stale = readCache<string>({ maxAgeMs: 0, maxEntries: 10 });
    const second = controlledLoader();
    const one = stale.get('a', second.loader);
    second.calls[0]!.resolve('v1');
    await one;
    const two = stale.get('a', second.loader);
    expect(second.calls[1]!.previous).toBe('v1');
    second.calls[1]!.resolve('v2');
    expect(await two).toBe('v2');
  });

  it('keeps no failure: every waiter gets the error, and the next read loads again', async () => {
    const cache = readCache<string>({ maxAgeMs: 60_000, maxEntries: 10 });
    const { calls, loader } = controlledLoader();
    const reads = [cache.get('a', loader), cache.get('a', loader)];
    calls[0]!.reject(new Error('upstream down'));
    await expect(Promise.all(reads)).rejects.toThrow('upstream down');
    const again = cache.get('a', loader);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('ok');
    expect(await again).toBe('ok');
  });

  it('holds at most maxEntries: the least recently stored leaves first', async () => {
    const cache = readCache<string>({ maxAgeMs: 60_000, maxEntries: 2 });
    let loads = 0;
    const loader = () => Promise.resolve(String(++loads));
    for (const key of ['a', 'b', 'c']) await cache.get(key, loader);
    expect(await cache.get('c', loader)).toBe('3');
    expect(await cache.get('b', loader)).toBe('2');
    expect(await cache.get('a', loader)).toBe('4');
  });
});
