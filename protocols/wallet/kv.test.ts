/**
 * Power failure on the key-value backend: a store that dies after N host
 * writes (write or delete), for EVERY N from 0 to the length of a script of
 * wallet operations. After each cut the store is reopened (which recovers)
 * and must hold exactly the state before or after the interrupted operation:
 * no committed item lost, no batch half-applied, nothing undecryptable, no
 * journal left behind.
 */
import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../../tests/support/assert.ts';
import { KeyValueStorage, MemoryKeyValue, type KeyValueStore } from './kv.ts';
import type { WalletItem } from './types.ts';
import { Wallet } from './wallet.ts';

class PowerCut extends Error {}

/** Passes operations through until `budget` writes/deletes have happened, then fails everything, forever. */
class PowerFailKeyValue implements KeyValueStore {
  writes = 0;
  dead = false;
  constructor(
    private readonly inner: KeyValueStore,
    private readonly budget: number,
  ) {}
  private spend(): void {
    if (this.dead || this.writes >= this.budget) {
      this.dead = true;
      throw new PowerCut('power lost');
    }
    this.writes++;
  }
  read(key: string) {
    if (this.dead) throw new PowerCut('power lost');
    return this.inner.read(key);
  }
  write(key: string, value: ArrayBuffer | string) {
    this.spend();
    this.inner.write(key, value);
  }
  delete(key: string) {
    this.spend();
    this.inner.delete(key);
  }
  [Symbol.iterator]() {
    if (this.dead) throw new PowerCut('power lost');
    return this.inner[Symbol.iterator]();
  }
}

const K1 = { rawKey: new Uint8Array(32).fill(1) };
const K2 = { rawKey: new Uint8Array(32).fill(2) };
const OPTIONS = { journalPageKeys: 2 };

interface Model {
  created: boolean;
  key: 1 | 2;
  items: Record<string, WalletItem>;
  keyKids: string[];
}

const item = (id: string, value: string, tags: Record<string, string> = {}): WalletItem => ({ type: 'thing', id, value, tags });

interface Op {
  name: string;
  run(ctx: { storage: KeyValueStorage; wallet?: Wallet }): Promise<void>;
  apply(m: Model): void;
}

const OPS: Op[] = [
  {
    name: 'create',
    run: async (ctx) => {
      ctx.wallet = await Wallet.create(ctx.storage, K1);
    },
    apply: (m) => {
      m.created = true;
    },
  },
  {
    name: 'add a',
    run: (ctx) => ctx.wallet!.add(item('a', 'A1', { color: 'red', '~n': '1' })),
    apply: (m) => {
      m.items.a = item('a', 'A1', { color: 'red', '~n': '1' });
    },
  },
  {
    name: 'addMany b..f (3 journal pages)',
    run: (ctx) => ctx.wallet!.addMany(['b', 'c', 'd', 'e', 'f'].map((id) => item(id, id.toUpperCase(), { color: id === 'c' ? 'red' : 'blue' }))),
    apply: (m) => {
      for (const id of ['b', 'c', 'd', 'e', 'f']) m.items[id] = item(id, id.toUpperCase(), { color: id === 'c' ? 'red' : 'blue' });
    },
  },
  {
    name: 'update a',
    run: (ctx) => ctx.wallet!.update('thing', 'a', { value: 'A2', tags: { color: 'green' } }),
    apply: (m) => {
      m.items.a = item('a', 'A2', { color: 'green' });
    },
  },
  {
    name: 'delete b',
    run: async (ctx) => {
      await ctx.wallet!.delete('thing', 'b');
    },
    apply: (m) => {
      delete m.items.b;
    },
  },
  {
    name: 'rekey',
    run: (ctx) => ctx.wallet!.rekey(K2),
    apply: (m) => {
      m.key = 2;
    },
  },
  {
    name: 'create key k1',
    run: async (ctx) => {
      await ctx.wallet!.keys.create('X25519', { kid: 'k1' });
    },
    apply: (m) => {
      m.keyKids.push('k1');
    },
  },
  {
    name: 'addMany g..h',
    run: (ctx) => ctx.wallet!.addMany([item('g', 'G'), item('h', 'H', { color: 'red' })]),
    apply: (m) => {
      m.items.g = item('g', 'G');
      m.items.h = item('h', 'H', { color: 'red' });
    },
  },
];

function clone(m: Model): Model {
  return { created: m.created, key: m.key, items: { ...m.items }, keyKids: [...m.keyKids] };
}

/** Runs the script against a store that dies after `budget` writes; returns the index of the interrupted op. */
async function runScript(kv: KeyValueStore): Promise<number> {
  const ctx: { storage: KeyValueStorage; wallet?: Wallet } = { storage: await KeyValueStorage.open(kv, OPTIONS) };
  for (let i = 0; i < OPS.length; i++) {
    try {
      await OPS[i].run(ctx);
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause;
      if (e instanceof PowerCut || cause instanceof PowerCut) return i;
      throw e;
    }
  }
  return OPS.length;
}

/** What a reopened store holds, or a description of why it cannot be read. */
async function observe(kv: MemoryKeyValue, m: Model): Promise<Model | string> {
  const storage = await KeyValueStorage.open(kv, OPTIONS);
  if (!m.created) return (await storage.getMeta('keys')) === undefined && (await storage.countItems()) === 0 ? m : 'not empty';
  let wallet: Wallet;
  try {
    wallet = await Wallet.open(storage, m.key === 1 ? K1 : K2);
  } catch (e) {
    return `open: ${(e as { code?: string }).code}`;
  }
  const items: Record<string, WalletItem> = {};
  for (const it of await wallet.search('thing')) {
    const got = await wallet.get('thing', it.id);
    if (JSON.stringify(got) !== JSON.stringify(it)) return `get/search disagree on ${it.id}`;
    items[it.id] = it;
  }
  // The tag index agrees with the items.
  const red = (await wallet.search('thing', { color: 'red' })).map((i) => i.id).sort();
  const expectedRed = Object.values(items).filter((i) => i.tags.color === 'red').map((i) => i.id).sort();
  if (red.join() !== expectedRed.join()) return 'tag index disagrees';
  const keyKids = (await wallet.keys.findKeys(['k1'])).slice();
  // Every stored entry decrypts (export reads them all).
  await wallet.export(K1, { chunkSize: 1024 });
  return { created: true, key: m.key, items, keyKids };
}

describe('key-value backend under power failure', () => {
  it('holds the state before or after the interrupted operation, for every cut point', async () => {
    // Count the writes of an uninterrupted run, and the model after each op.
    const probe = new PowerFailKeyValue(new MemoryKeyValue(), Number.MAX_SAFE_INTEGER);
    expect(await runScript(probe)).toBe(OPS.length);
    const total = probe.writes;
    expect(total).toBeGreaterThan(OPS.length + 6); // batches and journal pages really are several writes
    const states: Model[] = [{ created: false, key: 1, items: {}, keyKids: [] }];
    for (const op of OPS) {
      const next = clone(states[states.length - 1]);
      op.apply(next);
      states.push(next);
    }

    const outcomes: string[] = [];
    for (let budget = 0; budget <= total; budget++) {
      const inner = new MemoryKeyValue();
      const cut = await runScript(new PowerFailKeyValue(inner, budget));
      const before = states[cut];
      const after = states[Math.min(cut + 1, OPS.length)];
      const seenBefore = await observe(inner, before);
      const okBefore = typeof seenBefore !== 'string' && JSON.stringify(seenBefore) === JSON.stringify(before);
      let okAfter = false;
      if (!okBefore) {
        const seenAfter = await observe(inner, after);
        okAfter = typeof seenAfter !== 'string' && JSON.stringify(seenAfter) === JSON.stringify(after);
      }
      const journal = Array.from(inner).filter((k) => k.startsWith('j'));
      outcomes.push(`${budget}:${cut < OPS.length ? OPS[cut].name : 'done'}:${okBefore ? 'before' : okAfter ? 'after' : 'BROKEN'}${journal.length ? ':JOURNAL LEFT' : ''}`);
    }
    expect(outcomes.filter((o) => o.includes('BROKEN') || o.includes('JOURNAL'))).toEqual([]);
    // Both outcomes occur: cuts inside a batch roll back, cuts after its commit keep it.
    expect(outcomes.some((o) => o.includes('addMany b..f') && o.endsWith('before'))).toBe(true);
    expect(outcomes.some((o) => o.includes('rekey') && o.endsWith('before'))).toBe(true);
    expect(outcomes[outcomes.length - 1]).toBe(`${total}:done:before`);
  });

  it('rolls back an import cut by power and accepts the import again', async () => {
    const source = await Wallet.create(await KeyValueStorage.open(new MemoryKeyValue()), K1);
    await source.addMany(['1', '2', '3', '4', '5'].map((id) => item(id, `v${id}`, { color: 'red' })));
    const file = await source.export(K2, { chunkSize: 1024 });
    for (let budget = 1; budget < 12; budget++) {
      const inner = new MemoryKeyValue();
      await Wallet.create(await KeyValueStorage.open(inner, OPTIONS), K1);
      const target = await Wallet.open(await KeyValueStorage.open(new PowerFailKeyValue(inner, budget), OPTIONS), K1);
      let done = true;
      try {
        await target.import(file, K2);
      } catch {
        done = false;
      }
      const reopened = await Wallet.open(await KeyValueStorage.open(inner, OPTIONS), K1);
      const n = await reopened.count();
      expect(n).toBe(done ? 5 : 0);
      if (!done) expect(await reopened.import(file, K2)).toBe(5);
      expect((await reopened.search('thing', { color: 'red' })).length).toBe(5);
    }
  });

  it('refuses records larger than the host accepts, before writing anything', async () => {
    const kv = new MemoryKeyValue();
    const w = await Wallet.create(await KeyValueStorage.open(kv, { maxValueBytes: 600 }), K1);
    await expectCodeAsync(() => w.addMany([item('small', 'x'), item('big', 'y'.repeat(700))]), 'wallet.item_too_large');
    expect(await w.count()).toBe(0);
    expect(Array.from(kv).every((k) => k.length <= 15)).toBe(true);
  });
});
