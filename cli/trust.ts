/**
 * `ssiot trust …`: trust in issuers (docs/trust.md).
 *
 *   trust attest --secrets S.json --kid KID [--max-path-length N] [--types T,…] [--expires T] [--attestation-only] < did-document.json
 *   trust root-code --date YYYY-MM-DD [--length N] < root-document.json          -> {did, date, code}
 *   trust chain verify DID --root-date D --root-code C [--root-did DID] [--chain C.json] [--log did.jsonl …] [--type T]
 *   trust edge sign --secrets S.json --kid KID --to DID --weight W --seq N        -> TrustEdgeUpdate
 *   trust epoch sign --secrets S.json --kid KID < epoch.json                     -> the epoch with one more proof
 *   trust query --url URL --trusted DID[,DID…] --issuer DID [--threshold S] [--nonce N]   -> TrustRegistryAnswer
 *   trust answer verify --maintainers DID,… --k N --trusted DID,… --issuer DID [--min-score S] [--registry ID] < answer.json
 *   trust ownership verify [--dids D.json] [--chain C.json --root-date D --root-code C [--root-did DID] [--log …]]
 *                          [--answer A.json --maintainers … --k N --trusted … [--min-score S]] [--policy any|all] < presentation.json
 *
 * Checks (`chain verify`, `answer verify`, `ownership verify`) print their
 * result and exit 0 when it holds, 1 when not (shared/CLI.md).
 */
import { parseJson } from '../protocols/encoding/json.ts';
import { parseDidUrl } from '../protocols/did/did-url.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import type { DidDocument } from '../protocols/did/types.ts';
import { parseLog, resolveWebvh } from '../protocols/did/webvh/index.ts';
import { SsiotError, TrustError } from '../protocols/errors.ts';
import { verifyAnswer } from '../protocols/trust/answer.ts';
import { attestDocument, embedAttestation } from '../protocols/trust/attestation.ts';
import { staticChainSource, verifyChain, type ChainEntry } from '../protocols/trust/chain.ts';
import { signEdgeUpdate } from '../protocols/trust/edge.ts';
import { signEpoch, type SignedEpoch } from '../protocols/trust/epoch.ts';
import { verifyOwnership } from '../protocols/trust/ownership.ts';
import { confirmationCode, DEFAULT_CODE_LENGTH, type RootPin } from '../protocols/trust/root.ts';
import { parseWeight } from '../protocols/trust/score.ts';
import { ed25519Signer, type Signer } from '../protocols/vc/signer.ts';
import type { Command, CommandContext, OptionSpec } from './command.ts';
import { UsageError } from './command.ts';
import { readDidDocuments, readJsonFile, readSecrets, readTextFile, str } from './io.ts';

function signerFrom(options: CommandContext['options']): Signer {
  const kid = str(options.kid)!;
  const secret = readSecrets(str(options.secrets)!).find((s) => s.id === kid);
  if (!secret) throw new SsiotError('cli.unknown_kid', `no secret with id ${kid} in the secrets file`);
  if (secret.privateKey.kind !== 'Ed25519') throw new TrustError('trust.invalid_argument', `attestations and edges are signed with Ed25519; ${kid} is ${secret.privateKey.kind}`);
  return ed25519Signer(kid, secret.privateKey.bytes);
}

function list(v: unknown, option: string): string[] {
  const s = str(v);
  if (s === undefined) throw new UsageError(`missing required option --${option}`);
  const items = s.split(',').map((x) => x.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`--${option} needs at least one value`);
  return items;
}

function integer(v: unknown, option: string, min = 0): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) < min) throw new UsageError(`--${option} must be an integer >= ${min}`);
  return Number(s);
}

async function stdinJson<T = unknown>(stdin: () => Promise<string>): Promise<T> {
  return parseJson<T>(await stdin());
}

const SIGNING: Record<string, OptionSpec> = {
  secrets: { type: 'string', value: 'S.json', required: true, help: 'secrets file (JSON array of JWK or Multikey secrets)' },
  kid: { type: 'string', value: 'KID', required: true, help: 'DID URL of the Ed25519 assertion key to sign with' },
};

const ROOT_OPTIONS: Record<string, OptionSpec> = {
  'root-date': { type: 'string', value: 'YYYY-MM-DD', help: "the root DID's publication date (pinned)" },
  'root-code': { type: 'string', value: 'CODE', help: "the root's confirmation code (pinned)" },
  'root-did': { type: 'string', value: 'DID', help: 'the root DID (pinned, recommended)' },
  chain: { type: 'string', value: 'C.json', help: 'JSON array of the chain DID documents (or {document, metadata} entries)' },
  log: { type: 'string', value: 'did.jsonl', multiple: true, help: 'a did:webvh log of a chain DID (repeatable; gives the publication date)' },
};

const REGISTRY_OPTIONS: Record<string, OptionSpec> = {
  maintainers: { type: 'string', value: 'DID,…', help: "the registry maintainers' DIDs (pinned)" },
  k: { type: 'string', value: 'N', help: 'signatures needed on an epoch' },
  trusted: { type: 'string', value: 'DID,…', help: 'your trusted issuers' },
  'min-score': { type: 'string', value: 'S', help: 'minimum path score in [0, 1] (default 0)' },
  registry: { type: 'string', value: 'ID', help: "the registry's id (epochs of others are refused)" },
};

/** Chain entries from --chain and --log files. */
async function chainEntries(options: CommandContext['options']): Promise<ChainEntry[]> {
  const entries: ChainEntry[] = [];
  const file = str(options.chain);
  if (file !== undefined) {
    const parsed = readJsonFile<unknown>(file, 'chain file');
    if (!Array.isArray(parsed)) throw new SsiotError('cli.invalid_chain', `chain file ${file} must hold a JSON array`);
    for (const e of parsed) entries.push(e && typeof e === 'object' && 'document' in e ? (e as ChainEntry) : { document: e as DidDocument });
  }
  for (const path of (options.log as string[] | undefined) ?? []) {
    const log = parseLog(readTextFile(path, 'DID log'));
    const did = (log[log.length - 1]?.state as DidDocument | undefined)?.id;
    if (typeof did !== 'string') throw new SsiotError('cli.invalid_chain', `${path} holds no DID log`);
    const r = await resolveWebvh(did, { log });
    entries.push({ document: r.didDocument, metadata: { created: r.didDocumentMetadata.created } });
  }
  return entries;
}

function rootPin(options: CommandContext['options']): RootPin {
  const date = str(options['root-date']);
  const code = str(options['root-code']);
  if (date === undefined || code === undefined) throw new UsageError('the chain check needs --root-date and --root-code');
  const pin: RootPin = { date, code };
  const did = str(options['root-did']);
  if (did !== undefined) pin.did = did;
  return pin;
}

export const trustCommands: Command[] = [
  {
    path: ['trust', 'attest'],
    summary: 'attest the downstream DID document on stdin; prints it with the attestation service embedded',
    usage: 'trust attest --secrets S.json --kid KID [--max-path-length N] [--types T,…] [--expires TIME] [--attestation-only] < did-document.json',
    options: {
      ...SIGNING,
      'max-path-length': { type: 'string', value: 'N', help: 'how many further links may hang below the attested DID' },
      types: { type: 'string', value: 'T,…', help: 'credential types the attested DID may issue' },
      created: { type: 'string', value: 'TIME', help: 'proof creation time (default now)' },
      expires: { type: 'string', value: 'TIME', help: 'the attestation lapses at this time' },
      'attestation-only': { type: 'boolean', help: 'print only the attestation (for resolution metadata)' },
    },
    async run({ options, stdin }) {
      const document = await stdinJson<DidDocument>(stdin);
      const constraints: { maxPathLength?: number; credentialTypes?: string[] } = {};
      const maxPathLength = integer(options['max-path-length'], 'max-path-length');
      if (maxPathLength !== undefined) constraints.maxPathLength = maxPathLength;
      if (str(options.types) !== undefined) constraints.credentialTypes = list(options.types, 'types');
      const attestation = await attestDocument(document, {
        signer: signerFrom(options),
        constraints: Object.keys(constraints).length ? constraints : undefined,
        created: str(options.created),
        expires: str(options.expires),
      });
      return { output: options['attestation-only'] ? attestation : embedAttestation(document, attestation) };
    },
  },
  {
    path: ['trust', 'root-code'],
    summary: "the confirmation code that pins the root DID document on stdin as published on a date",
    usage: 'trust root-code --date YYYY-MM-DD [--length N] < root-document.json',
    options: {
      date: { type: 'string', value: 'YYYY-MM-DD', required: true, help: 'publication date (UTC)' },
      length: { type: 'string', value: 'N', help: `code length, 4-52 (default ${DEFAULT_CODE_LENGTH})` },
    },
    async run({ options, stdin }) {
      const document = await stdinJson<DidDocument>(stdin);
      const date = str(options.date)!;
      return { output: { did: document.id, date, code: confirmationCode(document, date, integer(options.length, 'length', 4) ?? DEFAULT_CODE_LENGTH) } };
    },
  },
  {
    path: ['trust', 'chain', 'verify'],
    summary: 'verify the downstream-DID chain of DID up to the pinned root; exit 0 when valid, 1 when not',
    usage: 'trust chain verify DID --root-date D --root-code C [--root-did DID] [--chain C.json] [--log did.jsonl …] [--type T]',
    positionals: [{ name: 'DID', required: true }],
    options: { ...ROOT_OPTIONS, type: { type: 'string', value: 'T', help: 'credential type the DID issues (checked against the links)' } },
    async run({ options, positionals }) {
      const result = await verifyChain(positionals[0], {
        root: rootPin(options),
        source: staticChainSource(await chainEntries(options)),
        credentialType: str(options.type),
      });
      return { output: result, holds: result.valid };
    },
  },
  {
    path: ['trust', 'edge', 'sign'],
    summary: 'sign a trust edge from your DID (the key\'s) to another issuer; weight 0 withdraws it',
    usage: 'trust edge sign --secrets S.json --kid KID --to DID --weight W --seq N',
    options: {
      ...SIGNING,
      to: { type: 'string', value: 'DID', required: true, help: 'the issuer you trust' },
      weight: { type: 'string', value: 'W', required: true, help: 'how much, in [0, 1], at most 6 decimals' },
      seq: { type: 'string', value: 'N', required: true, help: 'sequence number, above the last one for this edge' },
    },
    async run({ options }) {
      const signer = signerFrom(options);
      const from = parseDidUrl(signer.verificationMethod).did;
      return { output: await signEdgeUpdate({ from, to: str(options.to)!, weight: parseWeight(str(options.weight)!), seq: integer(options.seq, 'seq')! }, { signer }) };
    },
  },
  {
    path: ['trust', 'epoch', 'sign'],
    summary: "add a maintainer's signature to the registry epoch on stdin",
    usage: 'trust epoch sign --secrets S.json --kid KID < epoch.json',
    options: { ...SIGNING },
    async run({ options, stdin }) {
      return { output: await signEpoch(await stdinJson<SignedEpoch>(stdin), signerFrom(options)) };
    },
  },
  {
    path: ['trust', 'query'],
    summary: 'ask a trust registry service for the path from your trusted issuers to an issuer',
    usage: 'trust query --url URL --trusted DID[,DID…] --issuer DID [--threshold S] [--nonce N]',
    options: {
      url: { type: 'string', value: 'URL', required: true, help: "the registry's base URL (e.g. http://127.0.0.1:8080/trust)" },
      trusted: { type: 'string', value: 'DID,…', required: true, help: 'your trusted issuers' },
      issuer: { type: 'string', value: 'DID', required: true, help: "the credential's issuer" },
      threshold: { type: 'string', value: 'S', help: 'threshold to report against (informative; verify with answer verify)' },
      nonce: { type: 'string', value: 'N', help: 'tie-break seed (default: the registry picks one)' },
    },
    async run({ options }) {
      const body: Record<string, unknown> = { trusted: list(options.trusted, 'trusted'), issuer: str(options.issuer) };
      if (str(options.threshold) !== undefined) body.threshold = str(options.threshold);
      if (str(options.nonce) !== undefined) body.nonce = str(options.nonce);
      let res: Response;
      try {
        res = await fetch(`${str(options.url)!.replace(/\/$/, '')}/query`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      } catch (e) {
        throw new SsiotError('cli.io', `cannot reach the registry (${(e as Error).message})`);
      }
      const json = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
      if (!res.ok) {
        const code = json?.error?.code;
        throw new SsiotError(typeof code === 'string' ? code : 'cli.io', json?.error?.message ?? `registry answered HTTP ${res.status}`);
      }
      return { output: json };
    },
  },
  {
    path: ['trust', 'answer', 'verify'],
    summary: "verify a registry answer on stdin against your maintainers, trusted issuers and threshold; exit 0 when it holds",
    usage: 'trust answer verify --maintainers DID,… --k N --trusted DID,… --issuer DID [--min-score S] [--registry ID] < answer.json',
    options: { ...REGISTRY_OPTIONS, issuer: { type: 'string', value: 'DID', required: true, help: 'the issuer in question' } },
    async run({ options, stdin }) {
      const answer = await stdinJson(stdin);
      const result = await verifyAnswer(answer, {
        maintainers: list(options.maintainers, 'maintainers'),
        threshold: integer(options.k, 'k', 1) ?? 1,
        resolver: createDefaultResolver(),
        trusted: list(options.trusted, 'trusted'),
        issuer: str(options.issuer)!,
        minScore: str(options['min-score']),
        registry: str(options.registry),
      });
      return { output: result, holds: result.valid };
    },
  },
  {
    path: ['trust', 'ownership', 'verify'],
    summary: 'decide on the ownership presentation on stdin (imprint, device certificate, manufacturer trust); exit 0 when accepted',
    usage:
      'trust ownership verify [--dids D.json] [--chain C.json --root-date D --root-code C [--root-did DID] [--log …]] [--answer A.json --maintainers … --k N --trusted … [--min-score S]] [--policy any|all] < presentation.json',
    options: {
      dids: { type: 'string', value: 'D.json', help: 'DID documents for the DIDs that do not resolve locally (the manufacturer)' },
      ...ROOT_OPTIONS,
      answer: { type: 'string', value: 'A.json', help: "a registry answer for the manufacturer" },
      ...REGISTRY_OPTIONS,
      policy: { type: 'string', value: 'any|all', help: 'any (default): one configured check suffices; all: every one must hold' },
    },
    async run({ options, stdin }) {
      const presentation = await stdinJson(stdin);
      const entries = await chainEntries(options);
      const documents = [...readDidDocuments(str(options.dids))];
      for (const e of entries) if (!documents.some((d) => d.id === e.document.id)) documents.push(e.document);
      const policy = str(options.policy) ?? 'any';
      if (policy !== 'any' && policy !== 'all') throw new UsageError('--policy must be any or all');
      const useChain = str(options['root-date']) !== undefined || str(options['root-code']) !== undefined;
      const answerFile = str(options.answer);
      const decision = await verifyOwnership(presentation, {
        resolver: createDefaultResolver({ documents }),
        chain: useChain ? { root: rootPin(options), source: staticChainSource(entries) } : undefined,
        registry:
          answerFile === undefined
            ? undefined
            : {
                answer: readJsonFile(answerFile, 'answer file'),
                maintainers: list(options.maintainers, 'maintainers'),
                threshold: integer(options.k, 'k', 1) ?? 1,
                resolver: createDefaultResolver(),
                trusted: list(options.trusted, 'trusted'),
                minScore: str(options['min-score']),
                registry: str(options.registry),
              },
        policy,
      });
      return { output: decision, holds: decision.accepted };
    },
  },
];
