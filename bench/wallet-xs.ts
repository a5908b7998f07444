/**
 * Runs inside an xsnap worker for bench/wallet.ts: a device-style wallet
 * (raw key, ECMA-419 key-value storage in memory) so the driver can read the
 * XS meter for each step. One command = one crank:
 *   {op:'setup', items}  create the wallet and add `items` device-like items
 *   {op:'search'}        run the device's typical query
 *   {op:'noop'}          garbage-collect, then report (baseline crank)
 * Random bytes come from the parent (the host-provides-random pattern).
 */
import { installCrypto } from '../protocols/crypto/index.ts';
import { KeyValueStorage, MemoryKeyValue } from '../protocols/wallet/kv.ts';
import { Wallet } from '../protocols/wallet/wallet.ts';
import { deviceItems, DEVICE_QUERY } from './wallet-items.ts';

type Command = { op: 'setup'; items: number } | { op: 'search' } | { op: 'noop' };

const g = globalThis as unknown as {
  handleCommand?: (m: ArrayBuffer) => ArrayBuffer | { result?: ArrayBuffer };
  issueCommand?: (m: ArrayBuffer) => ArrayBuffer;
  performance?: { now(): number };
};
const now = () => (g.performance ? g.performance.now() : Date.now());
const enc = new TextEncoder();
const reply = (value: unknown): ArrayBuffer => enc.encode(JSON.stringify(value)).buffer as ArrayBuffer;

installCrypto({
  randomBytes(length: number) {
    const r = new Uint8Array(g.issueCommand!(enc.encode(JSON.stringify({ op: 'random', length })).buffer as ArrayBuffer));
    if (r.length !== length) throw new Error('short random');
    return r;
  },
});

let wallet: Wallet | undefined;
let kv: MemoryKeyValue | undefined;

g.handleCommand = (message: ArrayBuffer) => {
  const cmd = JSON.parse(new TextDecoder().decode(new Uint8Array(message))) as Command;
  const pending: { result?: ArrayBuffer } = {};
  const start = now();
  const done = (p: Promise<unknown>) =>
    p.then(
      (value) => (pending.result = reply({ ok: true, value, ms: now() - start })),
      (e: unknown) => (pending.result = reply({ ok: false, error: String(e) })),
    );
  if (cmd.op === 'noop') {
    // Collect garbage first (xsnap's `gc` global), so the heap count after this crank is what is live.
    const gc = (globalThis as { gc?: () => void }).gc;
    if (typeof gc === 'function') gc();
    return reply({ ok: true, ms: 0 });
  }
  if (cmd.op === 'setup') {
    done(
      (async () => {
        kv = new MemoryKeyValue();
        wallet = await Wallet.create(await KeyValueStorage.open(kv), { rawKey: new Uint8Array(32).fill(1) });
        for (const item of deviceItems(cmd.items)) await wallet.add(item);
        return { entries: kv.size, bytes: kv.bytes() };
      })(),
    );
    return pending;
  }
  done(
    (async () => {
      const hits = await wallet!.search(DEVICE_QUERY.type, DEVICE_QUERY.query);
      return { hits: hits.length };
    })(),
  );
  return pending;
};
