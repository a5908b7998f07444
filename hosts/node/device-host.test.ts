import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceAgent } from '../../device/agent.ts';
import { MemoryNetwork } from '../../device/testing/memory-host.ts';
import { agentOptions, testManufacturer, testOwner } from '../../device/testing/fixtures.ts';
import { issueDeviceCertificate } from '../../manufacturer/factory-station.ts';
import { resetCrypto } from '../../protocols/crypto/index.ts';
import { loadTrustedState } from '../../device/updater/trusted-state.ts';
import { NodeDeviceHost, FileKv } from './device-host.ts';

const dirs: string[] = [];
afterEach(() => {
  resetCrypto();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ssiot-device-'));
  dirs.push(d);
  return d;
}

describe('Node device host', () => {
  it('FileKv stores, replaces and deletes strings', async () => {
    const kv = new FileKv(tempDir());
    expect(await kv.get('firmware/trusted')).toBeUndefined();
    await kv.set('firmware/trusted', '{"a":1}');
    await kv.set('firmware/trusted', '{"a":2}');
    expect(await kv.get('firmware/trusted')).toBe('{"a":2}');
    await kv.delete('firmware/trusted');
    expect(await kv.get('firmware/trusted')).toBeUndefined();
  });

  it('runs manufacture and pairing on files, and keeps everything across a process restart', async () => {
    const dir = tempDir();
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    const quiet = { log: () => {} };
    const host = new NodeDeviceHost({ dir, transport: network.transport('memory://node-device'), logger: quiet, slotCapacity: 4096 });
    const agent = await DeviceAgent.boot(host, agentOptions());
    const cert = await issueDeviceCertificate(agent.certificateRequest(), { signer: mfr.signer, log: mfr.log });
    const label = await agent.installCertificate(cert, mfr.log);
    expect(host.label()).toEqual(label);
    expect(existsSync(join(dir, 'wallet.key'))).toBe(true);
    const paired = await testOwner(network, mfr, () => Date.now()).pair(label.url);

    // "restart the process": new host and agent over the same directory
    const host2 = new NodeDeviceHost({ dir, transport: network.transport('memory://node-device'), logger: quiet, slotCapacity: 4096 });
    const again = await DeviceAgent.boot(host2, agentOptions());
    expect(again.identity).toEqual(agent.identity);
    expect(again.state.lifecycle).toBe('owned');
    expect(again.state.owner?.did).toBe(paired.ownerDid);
    expect((await loadTrustedState(host2.kv)).pinnedDid).toBe(mfr.did);
    await host2.factoryReset();
    expect(again.state.lifecycle).toBe('unowned');
  });
});
