/**
 * `ssiot didcomm pack|unpack` (shared/CLI.md): DIDComm v2 envelopes from the
 * command line, for scripts and for checking other implementations against
 * ours.
 *
 * Choices where CLI.md is silent (additions only):
 *  - `--to` with several DIDs: one envelope per DID (the spec encrypts to each
 *    DID separately); the output is then a JSON array of envelopes in `--to`
 *    order. One DID: the envelope itself.
 *  - a message without `to` gets `to` = the `--to` DIDs (signed and
 *    encrypted messages should name their audience); a message with `to`
 *    must list every `--to` DID.
 *  - `--protect-sender` (anoncrypt around authcrypt), `--now` and
 *    `--max-bytes` (unpack) are extra options.
 */
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { parseJson } from '../protocols/encoding/json.ts';
import { createSecretsResolver } from '../protocols/didcomm/secrets.ts';
import { packEncrypted, packPlaintext, packSigned } from '../protocols/didcomm/pack.ts';
import { cliMetadata, unpack } from '../protocols/didcomm/unpack.ts';
import { CONTENT_ENCRYPTIONS, type ContentEncryption } from '../protocols/didcomm/jwe.ts';
import { validatePlaintext, type PlaintextMessage } from '../protocols/didcomm/message.ts';
import { UsageError, type Command } from './command.ts';
import { readDidDocuments, readSecrets, str } from './io.ts';

const MODES = ['plaintext', 'signed', 'authcrypt', 'anoncrypt'] as const;
type Mode = (typeof MODES)[number];

function keyMaterial(options: Record<string, unknown>) {
  const resolver = createDefaultResolver({ documents: readDidDocuments(str(options.dids)) });
  const secrets = createSecretsResolver(readSecrets(str(options.secrets)!));
  return { resolver, secrets };
}

function integerOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const s = str(value)!;
  if (!/^[0-9]+$/.test(s)) throw new UsageError(`--${name} must be a non-negative integer`);
  return Number(s);
}

export const didcommCommands: Command[] = [
  {
    path: ['didcomm', 'pack'],
    summary: 'pack the plaintext message on stdin as a DIDComm v2 envelope',
    usage:
      'didcomm pack --mode plaintext|signed|authcrypt|anoncrypt --to DID[,DID…] [--from KID] [--sign KID] [--enc A256CBC-HS512|A256GCM|XC20P] [--forward] [--protect-sender] --secrets S.json [--dids D.json] < message.json',
    options: {
      mode: { type: 'string', value: 'MODE', required: true, help: 'plaintext, signed, authcrypt (ECDH-1PU) or anoncrypt (ECDH-ES)' },
      to: { type: 'string', value: 'DID[,DID…]', required: true, help: 'recipient DID(s) or key id(s); several give a JSON array of envelopes' },
      from: { type: 'string', value: 'KID', help: 'sender key id or DID (authcrypt)' },
      sign: { type: 'string', value: 'KID', help: 'signing key id or DID (signed; with authcrypt/anoncrypt: sign, then encrypt)' },
      enc: { type: 'string', value: 'ENC', help: 'anoncrypt content encryption: A256CBC-HS512 (default), A256GCM, XC20P' },
      forward: { type: 'boolean', help: "wrap in routing 2.0 forwards for the recipient's mediators (routingKeys)" },
      'protect-sender': { type: 'boolean', help: 'authcrypt inside anoncrypt, hiding the sender key id from mediators' },
      secrets: { type: 'string', value: 'S.json', required: true, help: 'secrets file (JSON array of JWK or Multikey secrets)' },
      dids: { type: 'string', value: 'D.json', help: 'DID documents for DIDs that do not resolve locally' },
    },
    async run({ options, stdin }) {
      const mode = str(options.mode) as Mode;
      if (!MODES.includes(mode)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}`);
      const enc = str(options.enc) as ContentEncryption | undefined;
      if (enc !== undefined && !CONTENT_ENCRYPTIONS.includes(enc)) throw new UsageError(`--enc must be one of ${CONTENT_ENCRYPTIONS.join(', ')}`);
      const to = str(options.to)!.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
      if (to.length === 0) throw new UsageError('--to needs at least one DID');
      const from = str(options.from);
      const sign = str(options.sign);
      if (mode === 'authcrypt' && from === undefined) throw new UsageError('--mode authcrypt needs --from');
      if (mode !== 'authcrypt' && from !== undefined) throw new UsageError('--from is only for --mode authcrypt');
      if (mode === 'signed' && sign === undefined) throw new UsageError('--mode signed needs --sign');
      if (mode === 'plaintext' && (sign !== undefined || enc !== undefined)) throw new UsageError('--mode plaintext takes neither --sign nor --enc');
      const { resolver, secrets } = keyMaterial(options);

      const message = validatePlaintext(parseJson(await stdin())) as PlaintextMessage;
      if (message.to === undefined) message.to = to.map((t) => t.split('#')[0]);

      if (mode === 'plaintext') return { output: JSON.parse(packPlaintext(message)) };
      if (mode === 'signed') {
        const { packed } = await packSigned(message, { signBy: sign!, secrets, resolver });
        return { output: JSON.parse(packed) };
      }
      const envelopes = [];
      for (const target of to) {
        const r = await packEncrypted(message, {
          to: target,
          from,
          signBy: sign,
          enc,
          forward: options.forward === true,
          protectSender: options['protect-sender'] === true,
          resolver,
          secrets,
        });
        envelopes.push(JSON.parse(r.packed));
      }
      return { output: envelopes.length === 1 ? envelopes[0] : envelopes };
    },
  },
  {
    path: ['didcomm', 'unpack'],
    summary: 'unpack the DIDComm v2 message on stdin (any envelope) and report what protected it',
    usage: 'didcomm unpack --secrets S.json [--dids D.json] [--now EPOCH_SECONDS] [--max-bytes N] < envelope.json',
    options: {
      secrets: { type: 'string', value: 'S.json', required: true, help: 'secrets file (JSON array of JWK or Multikey secrets)' },
      dids: { type: 'string', value: 'D.json', help: 'DID documents for DIDs that do not resolve locally' },
      now: { type: 'string', value: 'EPOCH_SECONDS', help: 'judge expires_time at this time (default: now)' },
      'max-bytes': { type: 'string', value: 'N', help: 'largest message accepted (default 1048576)' },
    },
    async run({ options, stdin }) {
      const { resolver, secrets } = keyMaterial(options);
      const { message, metadata } = await unpack(await stdin(), {
        resolver,
        secrets,
        now: integerOption(options.now, 'now'),
        maxBytes: integerOption(options['max-bytes'], 'max-bytes'),
      });
      return { output: { message, metadata: cliMetadata(metadata) } };
    },
  },
];
