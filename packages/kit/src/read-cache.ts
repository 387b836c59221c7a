/**
 * A small per-process cache of reads from another service. A value is served for `maxAgeMs` from when its load
 * began (so it is never older than that); then the next read loads it again, given the old value to revalidate
 * with (an ETag). Identical concurrent loads are one call whose answer all of them share. A failed load is not
 * kept. Beyond `maxEntries` the least recently stored entry leaves, so memory stays bounded whatever the keys.
 */
export function readCache<T>(options: { maxAgeMs: number; maxEntries: number }) {
  const entries = new Map<string, { value: T; loadedAt: number }>();
  const loading = new Map<string, Promise<T>>();

  async function load(key: string, loader: (previous: T | undefined) => Promise<T>, previous: T | undefined): Promise<T> {
    const startedAt = performance.now();
    const value = await loader(previous);
    entries.delete(key);
    entries.set(key, { value, loadedAt: startedAt });
    if (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
    return value;
  }

  return {
    get(key: string, loader: (previous: T | undefined) => Promise<T>): Promise<T> {
      const entry = entries.get(key);
      if (entry && performance.now() - entry.loadedAt < options.maxAgeMs) return Promise.resolve(entry.value);
      let pending = loading.get(key);
      if (!pending) {
        // .finally runs after the set below, whenever the loader settles.
        pending = load(key, loader, entry?.value).finally(() => loading.delete(key));
        loading.set(key, pending);
      }
      return pending;
    },
  };
}
export type ReadCache<T> = ReturnType<typeof readCache<T>>;
