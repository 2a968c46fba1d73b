/**
 * A small map whose entries expire; the hot read paths use it in front of the database.
 *
 * Reads from the database race with invalidations: a read that started before a change and ends
 * after its invalidation would store stale data. So a caller takes a `stamp(key)` before reading
 * and stores with `setIfUnchanged`, which refuses when the key (or everything) was invalidated
 * in between.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();
  /** Invalidation count per key; grows with the keys ever invalidated (catalog-sized here). */
  private readonly versions = new Map<K, number>();
  private epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Taken before reading what will be stored under `key`. */
  stamp(key: K): string {
    return `${this.epoch}:${this.versions.get(key) ?? 0}`;
  }

  /** Stores unless `key` was invalidated since `stamp` was taken. */
  setIfUnchanged(key: K, stamp: string, value: V): void {
    if (stamp !== this.stamp(key)) return;
    // Oldest first out: a Map iterates in insertion order.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, { value, until: Date.now() + this.ttlMs });
  }

  /** Drops the entry and any read of it in flight. */
  delete(key: K): void {
    this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
    this.entries.delete(key);
  }

  /**
   * Drops every entry whose value matches, and every read in flight (those cannot be matched
   * until they are done).
   */
  deleteWhere(match: (value: V, key: K) => boolean): void {
    this.epoch++;
    for (const [key, entry] of this.entries) if (match(entry.value, key)) this.entries.delete(key);
  }
}
