/** `ssiot vc issue|verify` (shared/CLI.md): eddsa-jcs-2022 Data Integrity proofs. */
import { SsiotError } from '../protocols/errors.ts';
import { parseJson } from '../protocols/encoding/json.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { issueCredential } from '../protocols/vc/issue.ts';
import { ed25519Signer } from '../protocols/vc/signer.ts';
import { verifyCredential } from '../protocols/vc/verify.ts';
import type { Command } from './command.ts';
import { readDidDocuments, readSecrets, str } from './io.ts';

export const vcCommands: Command[] = [
  {
    path: ['vc', 'issue'],
    summary: 'add an eddsa-jcs-2022 proof to the credential on stdin',
    usage: 'vc issue --secrets S.json --kid KID < credential.json',
    options: {
      secrets: { type: 'string', value: 'S.json', required: true, help: 'secrets file (JSON array of JWK or Multikey secrets)' },
      kid: { type: 'string', value: 'KID', required: true, help: 'DID URL of the Ed25519 verification method to sign with' },
    },
    async run({ options, stdin }) {
      const kid = str(options.kid)!;
      const secret = readSecrets(str(options.secrets)!).find((s) => s.id === kid);
      if (!secret) throw new SsiotError('cli.unknown_kid', `no secret with id ${kid} in the secrets file`);
      if (secret.privateKey.kind !== 'Ed25519') {
        throw new SsiotError('vc.invalid_signer', `eddsa-jcs-2022 needs an Ed25519 key; ${kid} is ${secret.privateKey.kind}`);
      }
      const credential = parseJson(await stdin());
      return { output: await issueCredential(credential, { signer: ed25519Signer(kid, secret.privateKey.bytes) }) };
    },
  },
  {
    path: ['vc', 'verify'],
    summary: 'verify the credential on stdin; exit 0 when it verifies, 1 when not',
    usage: 'vc verify [--dids D.json] < credential.json',
    options: { dids: { type: 'string', value: 'D.json', help: 'DID documents for DIDs that do not resolve locally' } },
    async run({ options, stdin }) {
      const resolver = createDefaultResolver({ documents: readDidDocuments(str(options.dids)) });
      // The raw text goes in, so invalid JSON is reported as a verification error, not a crash.
      const result = await verifyCredential(await stdin(), { resolver });
      return { output: result, holds: result.verified };
    },
  },
];
