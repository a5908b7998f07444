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
import { askHost, now, serveCommands } from './xs-handler.ts';

type Command = { op: 'setup'; items: number } | { op: 'search' } | { op: 'noop' };

installCrypto({
  randomBytes(length: number) {
    const r = askHost({ op: 'random', length });
    if (r.length !== length) throw new Error('short random');
    return r;
  },
});

let wallet: Wallet | undefined;
let kv: MemoryKeyValue | undefined;

/** `{ok, value, ms}` once `work` settles, timed from the start of the crank. */
async function timed(work: () => Promise<unknown>): Promise<unknown> {
  const start = now();
  const value = await work();
  return { ok: true, value, ms: now() - start };
}

serveCommands<Command>(
  (cmd) => {
    if (cmd.op === 'noop') {
      // Collect garbage first (xsnap's `gc` global), so the heap count after this crank is what is live.
      const gc = (globalThis as { gc?: () => void }).gc;
      if (typeof gc === 'function') gc();
      return { ok: true, ms: 0 };
    }
    if (cmd.op === 'setup') {
      return timed(async () => {
        kv = new MemoryKeyValue();
        wallet = await Wallet.create(await KeyValueStorage.open(kv), { rawKey: new Uint8Array(32).fill(1) });
        for (const item of deviceItems(cmd.items)) await wallet.add(item);
        return { entries: kv.size, bytes: kv.bytes() };
      });
    }
    return timed(async () => {
      const hits = await wallet!.search(DEVICE_QUERY.type, DEVICE_QUERY.query);
      return { hits: hits.length };
    });
  },
  (e) => ({ ok: false, error: String(e) }),
);
