/**
 * The shared storage suite (store-suite.ts) on the neutral backends: memory
 * and the ECMA-419 key-value store. Runs in Node and inside XS.
 */
import { describe, expect, it } from 'vitest';
import { KeyValueStorage, MemoryKeyValue } from './kv.ts';
import { MemoryStorage } from './memory.ts';
import { defineStorageSuite } from './store-suite.ts';

const api = { describe, it, expect };

defineStorageSuite(api, {
  name: 'memory',
  fresh: async () => ({ storage: new MemoryStorage() }),
});

defineStorageSuite(api, {
  name: 'key-value (ECMA-419)',
  fresh: async () => {
    const kv = new MemoryKeyValue();
    return { storage: await KeyValueStorage.open(kv, { journalPageKeys: 3 }), reopen: () => KeyValueStorage.open(kv, { journalPageKeys: 3 }) };
  },
});
