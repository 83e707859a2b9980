import { describe, expect, it } from 'vitest';
import { KeyValueStore, TTL_NO_EXPIRY, TTL_NO_KEY } from './store.js';

/** A store on a clock the test moves by hand. */
function storeWithClock(): { store: KeyValueStore; advance(ms: number): void } {
  let now = 1_000_000;
  return { store: new KeyValueStore(() => now), advance: (ms) => (now += ms) };
}

const value = (text: string) => ({ value: Buffer.from(text), tags: {} });

describe('KeyValueStore', () => {
  it('rounds the remaining TTL up to whole seconds', () => {
    const { store, advance } = storeWithClock();
    store.set('k', value('v'));
    store.expire('k', 10);
    expect(store.ttl('k')).toBe(10);
    advance(100);
    expect(store.ttl('k')).toBe(10);
    advance(9_000);
    expect(store.ttl('k')).toBe(1);
  });

  it('hides a key from the instant it expires, before any sweep', () => {
    const { store, advance } = storeWithClock();
    store.set('k', value('v'));
    store.expire('k', 1);
    advance(1_000);
    expect(store.get('k')).toBeUndefined();
    expect(store.exists('k')).toBe(false);
    expect(store.ttl('k')).toBe(TTL_NO_KEY);
    expect(store.persist('k')).toBeUndefined();
    expect(store.expire('k', 5)).toBe(false);
  });

  it('sweep drops expired keys only', () => {
    const { store, advance } = storeWithClock();
    store.set('gone', value('a'));
    store.set('kept', value('b'));
    store.expire('gone', 1);
    advance(1_500);
    store.sweep();
    expect(store.heldKeys).toBe(1);
    expect(store.get('kept')?.value.toString()).toBe('b');
  });

  it('a ttl of zero or less deletes the key', () => {
    const { store } = storeWithClock();
    store.set('a', value('v'));
    store.set('b', value('v'));
    expect(store.expire('a', 0)).toBe(true);
    expect(store.expire('b', -5)).toBe(true);
    expect(store.exists('a')).toBe(false);
    expect(store.exists('b')).toBe(false);
  });

  it('set replaces the value and clears the expiry', () => {
    const { store } = storeWithClock();
    store.set('k', { value: Buffer.from('1'), tags: { t: 'x' } });
    store.expire('k', 10);
    store.set('k', value('2'));
    expect(store.get('k')).toEqual({ value: Buffer.from('2'), tags: {} });
    expect(store.ttl('k')).toBe(TTL_NO_EXPIRY);
  });

  it('persist reports whether there was an expiry to remove', () => {
    const { store } = storeWithClock();
    store.set('k', value('v'));
    expect(store.persist('k')).toEqual({ expirationRemoved: false });
    store.expire('k', 10);
    expect(store.persist('k')).toEqual({ expirationRemoved: true });
    expect(store.ttl('k')).toBe(TTL_NO_EXPIRY);
  });
});
