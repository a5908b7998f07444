/**
 * Test helpers for owner control (neutral: Node and XS): a minimal
 * manufacturer DIDComm party that sends diagnostics requests to a device,
 * and a stranger's view of a device's pairwise relationship.
 */
import { parseSecret } from '../../protocols/did/keys.ts';
import { generateDidPeer2 } from '../../protocols/did/peer2.ts';
import { createDefaultResolver } from '../../protocols/did/resolver.ts';
import type { PlaintextMessage } from '../../protocols/didcomm/message.ts';
import { packEncrypted } from '../../protocols/didcomm/pack.ts';
import { createSecretsResolver } from '../../protocols/didcomm/secrets.ts';
import { unpack } from '../../protocols/didcomm/unpack.ts';
import { buildDiagnosticsRequest, type ServiceScope } from '../../protocols/messages/service-auth.ts';
import type { JwkSecret } from '../../protocols/did/types.ts';
import type { MemoryNetwork } from './memory-host.ts';

export interface TestManufacturerLink {
  /** The manufacturer's DIDComm DID (the ServiceAuthorization subject). */
  did: string;
  /** Sends a diagnostics-request to `deviceDid` with `credential`; resolves to the device's reply (undefined: no reply). */
  requestDiagnostics(deviceDid: string, scope: ServiceScope[], credential: Record<string, unknown>): Promise<PlaintextMessage | undefined>;
}

/**
 * A manufacturer that packs authcrypt messages to a device DID and reads the
 * immediate reply. It has no endpoint of its own: "offline" is simply not
 * calling it.
 */
export function testManufacturerLink(network: MemoryNetwork): TestManufacturerLink {
  const me = generateDidPeer2();
  const secrets = createSecretsResolver(me.secrets.map((s) => parseSecret(s)));
  const resolver = createDefaultResolver();
  return {
    did: me.did,
    async requestDiagnostics(deviceDid, scope, credential) {
      const msg = buildDiagnosticsRequest({ from: me.did, to: [deviceDid], scope, credential });
      const packed = await packEncrypted(msg, { to: deviceDid, from: me.did, resolver, secrets });
      const endpoint = packed.serviceMetadata?.serviceEndpoint as string;
      const raw = await network.deliver(endpoint, packed.packed);
      if (raw === undefined) return undefined;
      const { message, metadata } = await unpack(raw, { resolver, secrets });
      if (!metadata.authenticated || message.from !== deviceDid) throw new Error('reply not from the device');
      return message;
    },
  };
}

/**
 * Sends `message` (any content, unchecked) authcrypted from the owner's
 * pairwise DID to the device's; resolves to the device's reply. Lets tests
 * send what the owner agent's builders would refuse to build.
 */
export async function sendAsOwner(
  network: MemoryNetwork,
  paired: { ownerDid: string; ownerSecrets: JwkSecret[]; deviceDid: string },
  message: PlaintextMessage,
): Promise<PlaintextMessage | undefined> {
  const secrets = createSecretsResolver(paired.ownerSecrets.map((s) => parseSecret(s)));
  const resolver = createDefaultResolver();
  const packed = await packEncrypted(message, { to: paired.deviceDid, from: paired.ownerDid, resolver, secrets });
  const raw = await network.deliver(packed.serviceMetadata?.serviceEndpoint as string, packed.packed);
  return raw === undefined ? undefined : (await unpack(raw, { resolver, secrets })).message;
}
