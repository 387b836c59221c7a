/**
 * A small per-process cache of reads from another service. A value is fresh for `maxAgeMs` from when its answer
 * arrived (a slow load does not eat its lifetime); then the next read loads it again, given the old value to
 * revalidate with (an ETag). Identical concurrent loads are one call whose answer all of them share. A failed
 * load is not kept. Beyond `maxEntries` the least recently stored entry leaves, so memory stays bounded whatever
 * the keys.
 *
 * With `staleWhileRevalidateMs`, a value past its age is still served for that much longer while one refresh
 * runs in the background: only a key's very first load (or one whose value is older than both) is awaited, so
 * readers never queue behind a slow upstream. A failed background refresh leaves the old value; the next read
 * tries again. `maxAgeMs` 0 means no caching: every read loads, and waits for it.
 */
export function readCache<T>(options: { maxAgeMs: number; maxEntries: number; staleWhileRevalidateMs?: number; now?: () => number }) {
  const now = options.now ?? (() => performance.now());
  const staleMs = options.maxAgeMs > 0 ? (options.staleWhileRevalidateMs ?? 0) : 0;
  const entries = new Map<string, { value: T; arrivedAt: number }>();
  const loading = new Map<string, Promise<T>>();

  async function load(key: string, loader: (previous: T | undefined) => Promise<T>, previous: T | undefined): Promise<T> {
    const value = await loader(previous);
    entries.delete(key);
    entries.set(key, { value, arrivedAt: now() });
    if (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
    return value;
  }

  function refresh(key: string, loader: (previous: T | undefined) => Promise<T>, previous: T | undefined): Promise<T> {
    let pending = loading.get(key);
    if (!pending) {
      // .finally runs after the set below, whenever the loader settles.
      pending = load(key, loader, previous).finally(() => loading.delete(key));
      loading.set(key, pending);
    }
    return pending;
  }

  return {
    get(key: string, loader: (previous: T | undefined) => Promise<T>): Promise<T> {
      const entry = entries.get(key);
      const age = entry ? now() - entry.arrivedAt : Infinity;
      if (entry && age < options.maxAgeMs) return Promise.resolve(entry.value);
      if (entry && age < options.maxAgeMs + staleMs) {
        // The failure of a background refresh is its own: the readers were already answered with the old value.
        refresh(key, loader, entry.value).catch(() => {});
        return Promise.resolve(entry.value);
      }
      return refresh(key, loader, entry?.value);
    },
  };
}
export type ReadCache<T> = ReturnType<typeof readCache<T>>;
