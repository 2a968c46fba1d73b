import { TtlCache } from '../src/shared/ttl-cache';

describe('TtlCache', () => {
  it('stores a read only if its key was not invalidated while it was being read', () => {
    const cache = new TtlCache<string, number>(60_000);
    const stale = cache.stamp('a');
    cache.delete('a'); // a change committed while the read was in flight
    cache.setIfUnchanged('a', stale, 1);
    expect(cache.get('a')).toBeUndefined();

    const fresh = cache.stamp('a');
    cache.setIfUnchanged('a', fresh, 2);
    expect(cache.get('a')).toBe(2);
  });

  it('deleteWhere drops matching entries and every read in flight', () => {
    const cache = new TtlCache<string, number>(60_000);
    cache.setIfUnchanged('keep', cache.stamp('keep'), 1);
    cache.setIfUnchanged('drop', cache.stamp('drop'), 2);
    const inFlight = cache.stamp('other');
    cache.deleteWhere((value) => value === 2);
    cache.setIfUnchanged('other', inFlight, 3);
    expect([cache.get('keep'), cache.get('drop'), cache.get('other')]).toEqual([1, undefined, undefined]);
  });

  it('forgets entries after their time to live', () => {
    jest.useFakeTimers({ now: 0 });
    try {
      const cache = new TtlCache<string, number>(100);
      cache.setIfUnchanged('a', cache.stamp('a'), 1);
      jest.setSystemTime(99);
      expect(cache.get('a')).toBe(1);
      jest.setSystemTime(100);
      expect(cache.get('a')).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });
});
