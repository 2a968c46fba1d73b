import type { NewOrder, ReservationResult } from '../src/modules/orders/orders.repository';
import { ReservationBatcher, type ReservationCalls } from '../src/modules/orders/reservation-batcher';

/**
 * The scheduling of purchases (which go alone, which together, what happens when a batch fails),
 * with the two database calls replaced by recorders: what the calls do in PostgreSQL is tested in
 * orders-batch.test.ts against the real database.
 */

const order = (userId: string, extra: Partial<NewOrder> = {}): NewOrder => ({
  userId,
  eventId: 'e',
  lines: [{ categoryId: 'c', quantity: 1 }],
  holdMs: 600_000,
  queueAdmitted: false,
  ...extra,
});

const created = (o: NewOrder): ReservationResult => ({ ok: true, order: { id: `order-of-${o.userId}` } as never });

/** Calls that stay pending until released, recording what was sent. */
function recorder(
  answerMany: (orders: NewOrder[]) => Array<ReservationResult | undefined> | Error = (os) => os.map(created),
) {
  const sent: string[][] = [];
  const pending: Array<() => void> = [];
  const calls: ReservationCalls = {
    one: (o) =>
      new Promise((resolve) => {
        sent.push([o.userId]);
        pending.push(() => resolve(created(o)));
      }),
    many: (os) =>
      new Promise((resolve, reject) => {
        sent.push(os.map((o) => o.userId));
        pending.push(() => {
          const answer = answerMany(os);
          if (answer instanceof Error) reject(answer);
          else resolve(answer);
        });
      }),
  };
  const releaseAll = async () => {
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { calls, sent, releaseAll };
}

describe('ReservationBatcher', () => {
  it('sends a purchase at once, alone, while a slot is free, and batches those that arrive while every slot is busy', async () => {
    const { calls, sent, releaseAll } = recorder();
    const batcher = new ReservationBatcher(calls, 2, 16);
    const results = ['a', 'b', 'c', 'd', 'e'].map((u) => batcher.reserve(order(u)));
    expect(sent).toEqual([['a'], ['b']]);
    await releaseAll();
    const answers = await Promise.all(results);
    // c, d and e waited for a slot and left together when the first one freed.
    expect(sent).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    expect(answers.map((r) => r.ok && r.order.id)).toEqual(['a', 'b', 'c', 'd', 'e'].map((u) => `order-of-${u}`));
  });

  it('keeps batches within batchSize, sends multi-line orders alone and never puts one Idempotency-Key twice in a batch', async () => {
    const { calls, sent, releaseAll } = recorder();
    const batcher = new ReservationBatcher(calls, 1, 3);
    const two = [
      { categoryId: 'c', quantity: 1 },
      { categoryId: 'd', quantity: 1 },
    ];
    const all = [
      batcher.reserve(order('first')),
      batcher.reserve(order('k1', { userId: 'same', idempotencyKey: 'K' })),
      batcher.reserve(order('multi', { lines: two })),
      batcher.reserve(order('k2', { userId: 'same', idempotencyKey: 'K' })),
      batcher.reserve(order('x')),
      batcher.reserve(order('y')),
      batcher.reserve(order('z')),
    ];
    await releaseAll();
    await Promise.all(all);
    expect(sent).toEqual([
      ['first'],
      // At most 3; the second 'same'/'K' waits for a later batch; the multi-line order goes alone
      // in its turn (first in line when the slot frees again).
      ['same', 'x', 'y'],
      ['multi'],
      ['same', 'z'],
    ]);
  });

  it('puts orders of one event only in a batch', async () => {
    const { calls, sent, releaseAll } = recorder();
    const batcher = new ReservationBatcher(calls, 1, 16);
    const all = [
      batcher.reserve(order('a')),
      batcher.reserve(order('b')),
      batcher.reserve(order('f1', { eventId: 'f' })),
      batcher.reserve(order('c')),
      batcher.reserve(order('f2', { eventId: 'f' })),
    ];
    await releaseAll();
    await Promise.all(all);
    expect(sent).toEqual([['a'], ['b', 'c'], ['f1', 'f2']]);
  });

  it('sends each order it sent back alone, and each order of a batch failed by one order’s data (class 23) alone', async () => {
    const back = recorder((os) => os.map((o, i) => (i === 1 ? undefined : created(o))));
    const batcher = new ReservationBatcher(back.calls, 1, 16);
    const first = ['a', 'b', 'c', 'd'].map((u) => batcher.reserve(order(u)));
    await back.releaseAll();
    expect((await Promise.all(first)).every((r) => r.ok)).toBe(true);
    expect(back.sent).toEqual([['a'], ['b', 'c', 'd'], ['c']]);

    const failed = recorder(() => Object.assign(new Error('duplicate key'), { code: '23505' }));
    const again = new ReservationBatcher(failed.calls, 1, 16);
    const second = ['a', 'b', 'c'].map((u) => again.reserve(order(u)));
    await failed.releaseAll();
    expect((await Promise.all(second)).every((r) => r.ok)).toBe(true);
    expect(failed.sent).toEqual([['a'], ['b', 'c'], ['b'], ['c']]);
  });

  it('fails every order of a batch with the error of a batch that failed otherwise (a lock timeout: 503 for each)', async () => {
    const { calls, sent, releaseAll } = recorder(() =>
      Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' }),
    );
    const batcher = new ReservationBatcher(calls, 1, 16);
    const results = ['a', 'b', 'c'].map((u) =>
      batcher.reserve(order(u)).then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      ),
    );
    await releaseAll();
    expect(await Promise.all(results)).toEqual(['ok', '55P03', '55P03']);
    // Not retried one by one: that would multiply the work exactly when the database is struggling.
    expect(sent).toEqual([['a'], ['b', 'c']]);
  });
});
