/**
 * `ssiot did …` (shared/CLI.md): did:key, did:peer:2, and the manufacturer's
 * did:webvh kept in a directory:
 *
 *   DIR/did.jsonl         the DID log, as published
 *   DIR/secrets.json      private keys (JWK secrets, ids = `<did>#<multikey>`):
 *                         the current update key and, with pre-rotation, the
 *                         committed next key(s); spent keys are removed
 *   DIR/did-witness.json  witness proofs, when the DID uses witnesses (optional)
 *
 * The update key is also the document's authentication/assertionMethod key
 * (see protocols/did/webvh/create.ts documentForKeys), so `update --rotate`
 * retires the firmware signing key together with the update key.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getCrypto } from '../protocols/crypto/index.ts';
import { createDidKey } from '../protocols/did/key.ts';
import { jwkSecret, type ParsedSecret } from '../protocols/did/keys.ts';
import { generateDidPeer2 } from '../protocols/did/peer2.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import type { DidDocument } from '../protocols/did/types.ts';
import {
  createWebvh,
  multikeyOfSigner,
  nextKeyHash,
  parseLog,
  resolveWebvh,
  rotateDocumentKey,
  serializeLog,
  updateWebvh,
  verifyLog,
  webvhSigner,
  type LogEntry,
  type UpdateWebvhOptions,
  type WebvhState,
} from '../protocols/did/webvh/index.ts';
import { DidError, SsiotError, isSsiotError } from '../protocols/errors.ts';
import type { Signer } from '../protocols/vc/signer.ts';
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { parseHex32, readJsonFile, readSecrets, readTextFile, str } from './io.ts';

const LOG_FILE = 'did.jsonl';
const SECRETS_FILE = 'secrets.json';
const WITNESS_FILE = 'did-witness.json';

/** A did:webvh controller directory, loaded and verified. */
export interface WebvhDir {
  dir: string;
  log: LogEntry[];
  state: WebvhState;
  secrets: ParsedSecret[];
  /** A secret for an active update key (the key that signs the next entry without pre-rotation). */
  updateSigner?: Signer;
  /** Secrets whose keys the last entry committed to (pre-rotation). */
  nextSigners: Signer[];
  /** A secret for a key listed under the document's assertionMethod: what signs firmware. */
  assertionSecret?: ParsedSecret;
}

/** `--witness FILE`, else did-witness.json beside the log when there is one. */
function witnessProofsFor(witnessPath: string | undefined, logPath: string | undefined): string | undefined {
  if (witnessPath !== undefined) return readTextFile(witnessPath, 'witness proofs');
  if (logPath === undefined) return undefined;
  const p = join(dirname(logPath), WITNESS_FILE);
  return existsSync(p) ? readTextFile(p, 'witness proofs') : undefined;
}

/**
 * Read and verify DIR/did.jsonl with DIR/secrets.json, and sort the keys out
 * (the firmware CLI signs with `assertionSecret`).
 */
export function loadWebvhDir(dir: string): WebvhDir {
  const logPath = join(dir, LOG_FILE);
  const log = parseLog(readTextFile(logPath, 'DID log'));
  const state = verifyLog(log, { witnessProofs: witnessProofsFor(undefined, logPath) });
  const secrets = readSecrets(join(dir, SECRETS_FILE));
  const keys = webvhKeys(secrets);
  const update = keys.find((k) => state.parameters.updateKeys.includes(k.mk));
  const next = keys.filter((k) => state.parameters.nextKeyHashes.includes(nextKeyHash(k.mk)));
  const assertion = (state.document.assertionMethod ?? []).map((r) => (typeof r === 'string' ? r : r.id)).map((r) => (r.startsWith('#') ? state.did + r : r));
  return {
    dir,
    log,
    state,
    secrets,
    updateSigner: update?.signer,
    nextSigners: next.map((k) => k.signer),
    assertionSecret: secrets.find((s) => assertion.includes(s.id)),
  };
}

/** Write a file by rename, so a crash leaves the old or the new content, never half of one. */
function writeAtomic(path: string, content: string, mode?: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content, mode === undefined ? undefined : { mode });
  renameSync(tmp, path);
}

function writeSecrets(dir: string, secrets: { id: string; seed: Uint8Array }[]): void {
  const list = secrets.map((s) => jwkSecret(s.id, { kind: 'Ed25519', bytes: s.seed }));
  writeAtomic(join(dir, SECRETS_FILE), JSON.stringify(list, null, 2) + '\n', 0o600);
}

interface KeyPair {
  seed: Uint8Array;
  signer: Signer;
  mk: string;
}

function keyPair(seed: Uint8Array): KeyPair {
  const signer = webvhSigner(seed);
  return { seed, signer, mk: multikeyOfSigner(signer) };
}

function newKey(): KeyPair {
  return keyPair(getCrypto().randomBytes(32));
}

/** The Ed25519 secrets as update-key pairs (other keys in the file are not update keys). */
function webvhKeys(secrets: readonly ParsedSecret[]): KeyPair[] {
  return secrets.filter((s) => s.privateKey.kind === 'Ed25519').map((s) => keyPair(s.privateKey.bytes));
}

/** HTTPS GET for did:webvh resolution without --log (the host side of the neutral `fetch`). */
async function httpsText(url: string): Promise<string> {
  const res = await fetch(url, { headers: { accept: 'text/jsonl, application/json' } });
  if (res.status === 404) throw new DidError('did.not_found', `${url} not found`);
  if (!res.ok) throw new SsiotError('did.webvh_fetch_failed', `${url}: HTTP ${res.status}`);
  return res.text();
}

function readDocument(path: string | undefined): DidDocument | undefined {
  if (path === undefined) return undefined;
  const doc = readJsonFile<DidDocument>(path, 'DID document');
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UsageError(`${path} must hold a DID document object`);
  return doc;
}

/**
 * One `did webvh update`. Under pre-rotation the committed key signs and
 * becomes the update key (a fresh key is committed next, unless
 * deactivating); otherwise the active key signs, `--rotate` moves to a fresh
 * key and `--prerotation` commits to another. A rotation also swaps the key
 * in the document (unless `--document` gives one) and drops the spent secret.
 */
async function webvhUpdate(dir: string, options: { rotate: boolean; deactivate: boolean; prerotation: boolean; document?: DidDocument }): Promise<{ did: string; versionId: string }> {
  const { log, state, secrets } = loadWebvhDir(dir);
  const keys = webvhKeys(secrets);
  const current = keys.find((k) => state.parameters.updateKeys.includes(k.mk));
  const committed = keys.find((k) => state.parameters.nextKeyHashes.includes(nextKeyHash(k.mk)));
  const added: KeyPair[] = [];
  let incoming: KeyPair | undefined;
  let signer: Signer | undefined = current?.signer;
  const update: Omit<UpdateWebvhOptions, 'signer'> = { deactivate: options.deactivate, document: options.document };
  if (state.parameters.prerotation) {
    if (!options.rotate && !options.deactivate) {
      throw new SsiotError('did.webvh_prerotation', 'pre-rotation is active: an update must rotate to the committed key (use --rotate)');
    }
    if (!committed) throw new SsiotError('cli.missing_key', `the pre-committed key is not in ${join(dir, SECRETS_FILE)}`);
    signer = committed.signer;
    incoming = committed;
    update.rotateTo = { updateKeys: [committed.signer] };
    if (!options.deactivate) {
      added.push(newKey());
      update.rotateTo.nextKeyHashes = [nextKeyHash(added[0].mk)];
    }
  } else {
    if (options.rotate) {
      incoming = newKey();
      added.push(incoming);
      update.rotateTo = { updateKeys: [incoming.signer] };
    }
    if (options.prerotation && !options.deactivate) {
      const following = newKey();
      added.push(following);
      if (update.rotateTo) update.rotateTo.nextKeyHashes = [nextKeyHash(following.mk)];
      else update.parameters = { nextKeyHashes: [nextKeyHash(following.mk)] };
    }
  }
  if (!signer) throw new SsiotError('cli.missing_key', `no active update key in ${join(dir, SECRETS_FILE)}`);
  const spent = options.rotate && incoming ? state.parameters.updateKeys.filter((mk) => mk !== incoming.mk) : [];
  if (!update.document && options.rotate && incoming) {
    update.document = spent.reduce((doc, mk) => rotateDocumentKey(doc, mk, incoming.mk), state.document);
  }
  const entry = await updateWebvh(log, { ...update, signer });
  const did = entry.state.id;
  // keys first (old and new), then the log, then drop the spent ones: a crash never loses a needed key
  const all = [...keys, ...added].map((k) => ({ id: `${did}#${k.mk}`, seed: k.seed, mk: k.mk }));
  writeSecrets(dir, all);
  writeAtomic(join(dir, LOG_FILE), serializeLog([...log, entry]));
  if (spent.length > 0) writeSecrets(dir, all.filter((k) => !spent.includes(k.mk)));
  return { did, versionId: entry.versionId };
}

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
    summary: 'resolve a DID to its DID document (did:key, did:peer:2; did:webvh from --log or over HTTPS)',
    usage: 'did resolve DID [--log did.jsonl] [--witness did-witness.json]',
    positionals: [{ name: 'DID', required: true }],
    options: {
      log: { type: 'string', value: 'FILE', help: 'did:webvh: the DID log to resolve from (else fetched over HTTPS)' },
      witness: { type: 'string', value: 'FILE', help: 'did:webvh: witness proofs (default: did-witness.json beside --log)' },
    },
    async run({ positionals, options }) {
      const did = positionals[0];
      const logPath = str(options.log);
      if (!did.startsWith('did:webvh:')) {
        if (logPath !== undefined || options.witness !== undefined) throw new UsageError('--log and --witness are for did:webvh');
        return { output: await createDefaultResolver().resolve(did) };
      }
      const witnessProofs = witnessProofsFor(str(options.witness), logPath);
      const r = await resolveWebvh(did, {
        log: logPath === undefined ? undefined : readTextFile(logPath, 'DID log'),
        witnessProofs,
        fetch: httpsText,
      });
      if (r.didDocumentMetadata.deactivated) {
        throw new DidError('did.webvh_deactivated', `${r.state.did} is deactivated (see ssiot did webvh verify)`);
      }
      return { output: r.didDocument };
    },
  },
  {
    path: ['did', 'webvh', 'create'],
    summary: 'create a did:webvh DID: writes DIR/did.jsonl and DIR/secrets.json',
    usage: 'did webvh create --domain HOST [--path P] [--prerotation] [--portable] --out DIR',
    options: {
      domain: { type: 'string', value: 'HOST', required: true, help: 'host (or host:port) that will serve the log' },
      path: { type: 'string', value: 'P', help: 'path under the host, e.g. dids/acme (default /.well-known/)' },
      prerotation: { type: 'boolean', help: 'commit to the next update key now (pre-rotation); its secret stays in DIR' },
      portable: { type: 'boolean', help: 'allow the DID to move to another host later' },
      out: { type: 'string', value: 'DIR', required: true, help: 'directory for did.jsonl and secrets.json' },
    },
    async run({ options, progress }) {
      const dir = str(options.out) as string;
      if (existsSync(join(dir, LOG_FILE))) throw new SsiotError('cli.exists', `${join(dir, LOG_FILE)} exists; not overwriting a DID`);
      const key = newKey();
      const next = options.prerotation === true ? newKey() : undefined;
      const created = await createWebvh({
        domain: str(options.domain) as string,
        path: str(options.path),
        updateKeys: key.signer,
        prerotation: next ? { nextKeyHashes: [nextKeyHash(next.mk)] } : undefined,
        portable: options.portable === true,
      });
      mkdirSync(dir, { recursive: true });
      writeSecrets(dir, [key, ...(next ? [next] : [])].map((k) => ({ id: `${created.did}#${k.mk}`, seed: k.seed })));
      writeAtomic(join(dir, LOG_FILE), serializeLog(created.log));
      progress(`publish ${join(dir, LOG_FILE)} at the DID's HTTPS location; keep ${join(dir, SECRETS_FILE)} secret`);
      return { output: { did: created.did, versionId: created.state.versionId } };
    },
  },
  {
    path: ['did', 'webvh', 'update'],
    summary: 'append an entry to DIR/did.jsonl (rotate keys, commit next keys, deactivate, new document)',
    usage: 'did webvh update --dir DIR [--rotate] [--prerotation] [--deactivate] [--document FILE]',
    options: {
      dir: { type: 'string', value: 'DIR', required: true, help: 'directory made by did webvh create' },
      rotate: { type: 'boolean', help: 'rotate the update (and document) key: to the pre-committed key under pre-rotation, committing a fresh next key' },
      prerotation: { type: 'boolean', help: 'start pre-rotation: commit to a fresh next key (kept in DIR)' },
      deactivate: { type: 'boolean', help: 'deactivate the DID (final)' },
      document: { type: 'string', value: 'FILE', help: 'publish this DID document (JSON) in the new entry' },
    },
    async run({ options }) {
      return {
        output: await webvhUpdate(str(options.dir) as string, {
          rotate: options.rotate === true,
          deactivate: options.deactivate === true,
          prerotation: options.prerotation === true,
          document: readDocument(str(options.document)),
        }),
      };
    },
  },
  {
    path: ['did', 'webvh', 'verify'],
    summary: 'verify a did:webvh log (exit 0 when valid, 1 when not)',
    usage: 'did webvh verify --log did.jsonl [--witness did-witness.json] [--did DID]',
    options: {
      log: { type: 'string', value: 'FILE', required: true, help: 'the DID log' },
      witness: { type: 'string', value: 'FILE', help: 'witness proofs (default: did-witness.json beside the log)' },
      did: { type: 'string', value: 'DID', help: 'require the log to be for this DID' },
    },
    async run({ options }) {
      const logPath = str(options.log) as string;
      const text = readTextFile(logPath, 'DID log');
      const witnessProofs = witnessProofsFor(str(options.witness), logPath);
      try {
        const state = verifyLog(parseLog(text), { witnessProofs, did: str(options.did) });
        return {
          output: {
            valid: true,
            did: state.did,
            versionId: state.versionId,
            versionNumber: state.versionNumber,
            versionTime: state.versionTime,
            document: state.document,
            deactivated: state.parameters.deactivated,
            scid: state.scid,
            updateKeys: state.parameters.updateKeys,
            nextKeyHashes: state.parameters.nextKeyHashes,
          },
          holds: true,
        };
      } catch (e) {
        if (!isSsiotError(e)) throw e;
        return { output: { valid: false, errors: [{ code: e.code, message: e.message }] }, holds: false };
      }
    },
  },
];
