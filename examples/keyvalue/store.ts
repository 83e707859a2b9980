// The keyvalue pattern's in-memory store, with Redis-like expiry: an expired
// key is invisible at once (checked on every access) and its memory is
// reclaimed by sweep(), which the server runs periodically.

export interface StoredValue {
  value: Buffer;
  tags: Record<string, string>;
}

interface Entry extends StoredValue {
  /** Epoch milliseconds after which the key no longer exists; undefined means never. */
  expiresAt?: number;
}

/** GetTTL's answer for a key without an expiry (as in Redis TTL). */
export const TTL_NO_EXPIRY = -1;
/** GetTTL's answer for a missing key (as in Redis TTL). */
export const TTL_NO_KEY = -2;

export type Clock = () => number;

export class KeyValueStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: Clock = Date.now) {}

  set(key: string, stored: StoredValue): void {
    // A Set replaces the value and, like Redis SET, clears any expiry.
    this.entries.set(key, { value: stored.value, tags: stored.tags });
  }

  get(key: string): StoredValue | undefined {
    const entry = this.live(key);
    return entry && { value: entry.value, tags: entry.tags };
  }

  /** True when the key existed. */
  delete(key: string): boolean {
    const existed = this.live(key) !== undefined;
    this.entries.delete(key);
    return existed;
  }

  exists(key: string): boolean {
    return this.live(key) !== undefined;
  }

  /**
   * Sets the key to expire ttlSeconds from now; a ttl <= 0 deletes it at once,
   * as Redis EXPIRE does. False when the key does not exist.
   */
  expire(key: string, ttlSeconds: number): boolean {
    const entry = this.live(key);
    if (!entry) return false;
    if (ttlSeconds <= 0) this.entries.delete(key);
    else entry.expiresAt = this.now() + ttlSeconds * 1000;
    return true;
  }

  /** Whole seconds left, rounded up; TTL_NO_EXPIRY or TTL_NO_KEY otherwise. */
  ttl(key: string): number {
    const entry = this.live(key);
    if (!entry) return TTL_NO_KEY;
    if (entry.expiresAt === undefined) return TTL_NO_EXPIRY;
    return Math.ceil((entry.expiresAt - this.now()) / 1000);
  }

  /** Removes the key's expiry; undefined for a missing key, else whether it had one. */
  persist(key: string): { expirationRemoved: boolean } | undefined {
    const entry = this.live(key);
    if (!entry) return undefined;
    const expirationRemoved = entry.expiresAt !== undefined;
    delete entry.expiresAt;
    return { expirationRemoved };
  }

  /** Drops every expired key. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (isExpired(entry, now)) this.entries.delete(key);
    }
  }

  /** Number of keys held, expired ones not yet swept included. */
  get heldKeys(): number {
    return this.entries.size;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && isExpired(entry, this.now())) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}

function isExpired(entry: Entry, now: number): boolean {
  return entry.expiresAt !== undefined && entry.expiresAt <= now;
}
