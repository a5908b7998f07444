/**
 * Where pack/unpack get private keys: a SecretsResolver, asked by key id.
 *
 * Why an interface and not a list: on the device the keys live in the
 * encrypted wallet and are decrypted only when a message needs them, so
 * envelope code asks for exactly the key ids it needs (`findSecrets` first,
 * to learn which recipient kids are ours without touching key material).
 * The wallet implements the same interface later; tests and the CLI use
 * the in-memory one here.
 */
import type { ParsedSecret } from '../did/keys.ts';
import { DidcommError } from '../errors.ts';

export interface SecretsResolver {
  /** The private key for a key id (DID URL), or undefined when we do not hold it. */
  getSecret(kid: string): Promise<ParsedSecret | undefined>;
  /** The subset of `kids` we hold secrets for, in the order given. */
  findSecrets(kids: string[]): Promise<string[]>;
}

/** An in-memory resolver over parsed secrets (a secrets file, a test's keys). Ids must be unique. */
export function createSecretsResolver(secrets: readonly ParsedSecret[]): SecretsResolver {
  const byId = new Map<string, ParsedSecret>();
  for (const s of secrets) {
    if (!s || typeof s.id !== 'string') throw new DidcommError('didcomm.invalid_argument', 'each secret needs an id');
    if (byId.has(s.id)) throw new DidcommError('didcomm.invalid_argument', `secret listed twice: ${s.id}`);
    byId.set(s.id, s);
  }
  return {
    async getSecret(kid: string) {
      return byId.get(kid);
    },
    async findSecrets(kids: string[]) {
      return kids.filter((k) => byId.has(k));
    },
  };
}
