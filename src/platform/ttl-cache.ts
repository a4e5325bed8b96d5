// Owns a small read-through cache with a time to live: concurrent misses for one key share one load, a
// failed load is not kept, and the entries are bounded (the oldest go first) so unknown keys sent by a
// crowd cannot grow it without end.
export function createTtlCache<V>(
  load: (key: string) => Promise<V>,
  options: { ttlMs: number; maxEntries: number },
) {
  const entries = new Map<string, { value: Promise<V>; until: number }>();
  return {
    get(key: string, now = Date.now()): Promise<V> {
      const entry = entries.get(key);
      if (entry && entry.until > now) return entry.value;
      if (entry) entries.delete(key);
      const value = load(key);
      entries.set(key, { value, until: now + options.ttlMs });
      value.catch(() => entries.delete(key));
      if (entries.size > options.maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      return value;
    },
    /** Forgets `key`, so the next read loads it again (after this process changed it). */
    forget(key: string): void {
      entries.delete(key);
    },
  };
}

export type TtlCache<V> = ReturnType<typeof createTtlCache<V>>;
