/** `ssiot did …` (shared/CLI.md). did:webvh joins with its issue. */
import { createDidKey } from '../protocols/did/key.ts';
import { generateDidPeer2 } from '../protocols/did/peer2.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import type { Command } from './command.ts';
import { parseHex32, str } from './io.ts';

export const didCommands: Command[] = [
  {
    path: ['did', 'create', 'key'],
    summary: 'create an Ed25519 did:key (with its derived X25519 key-agreement key)',
    usage: 'did create key [--seed HEX64]',
    options: { seed: { type: 'string', value: 'HEX64', help: '32-byte Ed25519 seed in hex (default: random)' } },
    async run({ options }) {
      const seed = str(options.seed);
      return { output: createDidKey(seed === undefined ? {} : { seed: parseHex32(seed, 'seed') }) };
    },
  },
  {
    path: ['did', 'create', 'peer2'],
    summary: 'create a did:peer:2 with a fresh Ed25519 (V) and X25519 (E) key',
    usage: 'did create peer2 [--service URI]',
    options: { service: { type: 'string', value: 'URI', help: 'DIDComm v2 endpoint to add as a DIDCommMessaging service' } },
    async run({ options }) {
      const service = str(options.service);
      return { output: generateDidPeer2(service === undefined ? {} : { serviceUri: service }) };
    },
  },
  {
    path: ['did', 'resolve'],
    summary: 'resolve a DID to its DID document (did:key, did:peer:2)',
    usage: 'did resolve DID',
    positionals: [{ name: 'DID', required: true }],
    options: {},
    async run({ positionals }) {
      return { output: await createDefaultResolver().resolve(positionals[0]) };
    },
  },
];
