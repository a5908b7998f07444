/**
 * Deterministic item sets for bench/wallet.ts (Node) and bench/wallet-xs.ts
 * (XS): what a manufacturer service stores by the hundred thousand
 * (credentials it issued) and what a device keeps (a few dozen records).
 */
import type { NewItem } from '../protocols/wallet/wallet.ts';

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** ISO date `i` days after 2024-01-01 (cheap, no Date: same in every engine). */
function day(i: number): string {
  const year = 2024 + Math.floor(i / 360);
  const month = 1 + Math.floor((i % 360) / 30);
  const d = 1 + (i % 30);
  return `${year}-${pad(month, 2)}-${pad(d, 2)}`;
}

/** A service-side credential record: ~600-byte JSON value, 2 encrypted and 2 plaintext tags. */
export function serviceItem(i: number): NewItem {
  const issuer = `did:web:issuer${i % 1000}.example`;
  const value = JSON.stringify({
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: `urn:uuid:00000000-0000-4000-8000-${pad(i, 12)}`,
    type: ['VerifiableCredential', 'DeviceCertificate'],
    issuer,
    validFrom: `${day(Math.floor(i / 100))}T00:00:00Z`,
    credentialSubject: { id: `did:key:z6Mk${pad(i, 44)}`, model: `Grinder G${i % 7}`, serial: `SN-${pad(i, 8)}` },
    proof: { type: 'DataIntegrityProof', cryptosuite: 'eddsa-jcs-2022', proofValue: `z${'5'.repeat(86)}` },
  });
  return {
    type: 'credential',
    id: `urn:uuid:00000000-0000-4000-8000-${pad(i, 12)}`,
    value,
    tags: { issuer, schema: `DeviceCertificate/${i % 20}`, '~issued': day(Math.floor(i / 100)), '~serial': `SN-${pad(i, 8)}` },
  };
}

/** The service-side queries the benchmark times, with a name each. */
export const SERVICE_QUERIES: { name: string; query: Record<string, unknown> }[] = [
  { name: 'eq on encrypted tag (~100 hits)', query: { issuer: 'did:web:issuer42.example' } },
  { name: 'eq + plaintext range (~50 hits)', query: { issuer: 'did:web:issuer42.example', '~issued': { $gte: '2025-06-01' } } },
  { name: 'plaintext prefix $like (10 hits)', query: { '~serial': { $like: 'SN-0004200_' } } },
  { name: '$or of $in and eq+eq (~100 hits)', query: { $or: [{ '~serial': { $in: ['SN-00000001', 'SN-00099999'] } }, { issuer: { $in: ['did:web:issuer7.example'] }, schema: 'DeviceCertificate/7' }] } },
  { name: 'no match', query: { issuer: 'did:web:nobody.example' } },
];

/** A device's wallet contents: owner, credentials, policies, counters. */
export function deviceItems(n: number): NewItem[] {
  const out: NewItem[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    if (kind === 0) {
      out.push({
        type: 'credential',
        id: `urn:uuid:dev-${pad(i, 6)}`,
        value: JSON.stringify({ type: ['VerifiableCredential', 'OwnerImprint'], issuer: 'did:key:z6MkDevice', credentialSubject: { id: `did:peer:2.owner${i}` }, proof: { proofValue: `z${'3'.repeat(86)}` } }),
        tags: { issuer: `did:peer:2.owner${i % 8}`, '~issued': day(i) },
      });
    } else if (kind === 1) {
      out.push({ type: 'relationship', id: `did:peer:2.peer${i}`, value: JSON.stringify({ theirDid: `did:peer:2.peer${i}`, label: `peer ${i}` }), tags: { role: i % 8 === 1 ? 'owner' : 'manufacturer' } });
    } else if (kind === 2) {
      out.push({ type: 'policy', id: `p${i}`, value: JSON.stringify({ share: ['model', 'firmware'], autoUpdate: true }), tags: { '~scope': 'diagnostics' } });
    } else {
      out.push({ type: 'counter', id: `c${i}`, value: String(i * 7), tags: {} });
    }
  }
  return out;
}

/** The device's typical lookup: its credentials for one owner since a date. */
export const DEVICE_QUERY = { type: 'credential', query: { issuer: 'did:peer:2.owner0', '~issued': { $gte: '2024-01-01' } } };
