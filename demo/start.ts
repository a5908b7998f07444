/**
 * `npm start` — until the simulator issue brings the whole story (manufacturer,
 * broker, a fleet of devices, console, owner app), this walks through what the
 * foundation already does, with real keys and real proofs.
 */
import { createDidKey } from '../protocols/did/key.ts';
import { generateDidPeer2 } from '../protocols/did/peer2.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { parseSecret } from '../protocols/did/keys.ts';
import { issueCredential } from '../protocols/vc/issue.ts';
import { ed25519Signer } from '../protocols/vc/signer.ts';
import { verifyCredential } from '../protocols/vc/verify.ts';

const step = (n: number, text: string) => console.log(`\n${n}. ${text}`);
const show = (label: string, value: unknown) => console.log(`   ${label.padEnd(22)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);

function signerOf(created: { secrets: unknown[] }) {
  const s = parseSecret(created.secrets[0]);
  return ed25519Signer(s.id, s.privateKey.bytes);
}

const resolver = createDefaultResolver();

step(1, 'Manufacture: the grinder makes its own keys; the factory signs its device certificate');
const manufacturer = createDidKey(); // did:webvh arrives with the firmware issue
const device = createDidKey();
show('manufacturer DID', manufacturer.did);
show('device DID', device.did);
const certificate = await issueCredential(
  {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiableCredential', 'DeviceCertificate'],
    issuer: manufacturer.did,
    validFrom: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    credentialSubject: { id: device.did, model: 'Grinder G1', serial: 'SN-000042', class: 'coffee-grinder' },
  },
  { signer: signerOf(manufacturer) },
);
show('certificate proof', `${(certificate.proof as { cryptosuite: string }).cryptosuite}, ${(certificate.proof as { proofValue: string }).proofValue.slice(0, 24)}…`);

step(2, 'Pairing: the owner\'s phone makes a pairwise did:peer:2 for this device');
const owner = generateDidPeer2({ serviceUri: 'http://phone.local:8090/didcomm' });
show('owner DID', `${owner.did.slice(0, 60)}…`);

step(3, 'Owner imprint: the device itself issues the owner a credential');
const imprint = await issueCredential(
  {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiableCredential', 'OwnerImprint'],
    issuer: device.did,
    validFrom: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    credentialSubject: { id: owner.did, owns: { serial: 'SN-000042', model: 'Grinder G1' } },
  },
  { signer: signerOf(device) },
);

step(4, 'Anyone checks both back to the manufacturer');
for (const [name, vc] of [['device certificate', certificate], ['owner imprint', imprint]] as const) {
  const r = await verifyCredential(vc, { resolver });
  show(name, r.verified ? 'verified' : r.errors);
}
const chained = (certificate.credentialSubject as { id: string }).id === imprint.issuer;
show('imprint issuer is', chained ? 'the certified device' : 'NOT the certified device');

step(5, 'A forged serial number is caught');
const forged = { ...certificate, credentialSubject: { ...(certificate.credentialSubject as object), serial: 'SN-999999' } };
const r = await verifyCredential(forged, { resolver });
show('forged certificate', r.verified ? 'verified (BUG)' : `rejected: ${r.errors.map((e) => e.code).join(', ')}`);

console.log('\nNext: DIDComm messaging, the wallet, DID-signed firmware, the device agent, the manufacturer');
console.log("service and the simulator (see 'issues'); try 'npx ssiot --help' for the command line.");
