import { describe, expect, it } from 'vitest';
import type { PlaintextMessage } from '../protocols/didcomm/message.ts';
import { SERVICE_AUTH_PROBLEM, type ServiceScope } from '../protocols/messages/service-auth.ts';
import { grind, reportFault } from './grinder.ts';
import { MemoryNetwork } from './testing/memory-host.ts';
import { manufacturedDevice, testManufacturer, testOwner, type TestDevice } from './testing/fixtures.ts';
import { testManufacturerLink } from './testing/service-tools.ts';
import { loadGrinder, saveGrinder } from './telemetry.ts';
import type { PairedDevice } from '../owner/agent.ts';

const HOUR = 3600_000;
const ALL: ServiceScope[] = ['diagnostics', 'usage-counters', 'error-logs'];

async function setup() {
  const network = new MemoryNetwork();
  const mfr = await testManufacturer();
  const dev = await manufacturedDevice(network, mfr, 'SN-S1');
  const owner = testOwner(network, mfr, () => dev.host.now());
  const paired = await owner.pair(dev.label.url);
  const link = testManufacturerLink(network);
  const until = (ms: number) => new Date(dev.host.now() + ms).toISOString();
  return { network, mfr, dev, owner, paired, link, until };
}

function problemCode(reply: PlaintextMessage | undefined): string | undefined {
  return reply?.type.endsWith('/problem-report') ? String(reply.body.code) : undefined;
}

async function useGrinder(dev: TestDevice): Promise<void> {
  let { state } = await loadGrinder(dev.agent.wallet);
  state = grind(state, 18).state;
  state = grind(state, 20).state;
  state = reportFault(state, 'burr_jam');
  await saveGrinder(dev.agent.wallet, state, dev.host.now());
}

/** The device's problem code (or the owner's error code) when `fn` fails. */
async function refusal(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return (e as { problem?: string }).problem ?? (e as { code?: string }).code;
  }
  return undefined;
}

describe('service authorization and remote diagnostics', () => {
  it('a valid authorization works; the response contains only what the policy allows', async () => {
    const { dev, owner, paired, link, until } = await setup();
    await useGrinder(dev);
    const vc = await owner.grantServiceAuthorization(paired, { manufacturer: link.did, scope: ALL, validUntil: until(HOUR) });
    const device = dev.agent.identity.pairingDid;

    // default policy: authorized, but everything withheld
    const none = await link.requestDiagnostics(device, ALL, vc as never);
    expect(none?.type).toMatch(/diagnostics-response$/);
    expect(none?.body).toEqual({ withheld: ALL });

    // usage counters allowed: exactly those
    await owner.setPolicy(paired, { share: { usageCounters: true } });
    const counters = await link.requestDiagnostics(device, ALL, vc as never);
    expect(counters?.body).toEqual({ usage_counters: { cycles: 2, grams: 38, motorMs: 19000 }, withheld: ['diagnostics', 'error-logs'] });

    // everything allowed, but only what was asked is sent
    await owner.setPolicy(paired, { share: { diagnostics: true, errorLogs: true } });
    const diag = await link.requestDiagnostics(device, ['diagnostics', 'error-logs'], vc as never);
    expect(diag?.body.usage_counters).toBeUndefined();
    expect(diag?.body.withheld).toBeUndefined();
    expect(diag?.body.diagnostics).toMatchObject({ model: 'Grinder One', firmwareVersion: 'factory', grindSize: 'medium', activeFaults: ['burr_jam'] });
    expect(diag?.body.error_logs).toEqual([{ time: Math.floor(dev.host.now() / 1000), code: 'burr_jam' }]);

    // the audit log shows the grant and each answered request (never the data)
    const log = await owner.readAuditLog(paired);
    const events = log.entries.map((e) => e.event);
    expect(events).toContain('service-auth.granted');
    expect(events.filter((e) => e === 'service-auth.diagnostics')).toHaveLength(3);
    expect(log.entries.find((e) => e.event === 'service-auth.diagnostics')?.detail).toBe(`shared=none;withheld=diagnostics,usage-counters,error-logs;${vc.id}`);
  });

  it('an expired authorization is refused (and a scope it does not cover)', async () => {
    const { dev, owner, paired, link, until } = await setup();
    const vc = await owner.grantServiceAuthorization(paired, { manufacturer: link.did, scope: ['usage-counters'], validUntil: until(HOUR) });
    const device = dev.agent.identity.pairingDid;
    expect(problemCode(await link.requestDiagnostics(device, ['diagnostics'], vc as never))).toBe(SERVICE_AUTH_PROBLEM.scope);
    expect(problemCode(await link.requestDiagnostics(device, ['usage-counters'], vc as never))).toBeUndefined();
    dev.host.advance(2 * HOUR);
    expect(problemCode(await link.requestDiagnostics(device, ['usage-counters'], vc as never))).toBe(SERVICE_AUTH_PROBLEM.expired);
    // granting an already expired one is refused too
    expect(await refusal(() => owner.grantServiceAuthorization(paired, { manufacturer: link.did, scope: ALL, validUntil: until(-HOUR) }))).toBe(SERVICE_AUTH_PROBLEM.expired);
    const events = (await owner.readAuditLog(paired)).entries.map((e) => `${e.event} ${e.detail?.split(' ')[0]}`);
    expect(events).toContain(`service-auth.refused ${SERVICE_AUTH_PROBLEM.expired}`);
  });

  it('revocation by the owner takes effect while the manufacturer is offline', async () => {
    const { dev, owner, paired, link, until } = await setup();
    const vc = await owner.grantServiceAuthorization(paired, { manufacturer: link.did, scope: ALL, validUntil: until(HOUR) });
    // the manufacturer has no endpoint on the network at all: the revoke goes to the device only
    const before = dev.host.network.delivered.length;
    await owner.revokeServiceAuthorization(paired, vc.id as string);
    expect(dev.host.network.delivered.slice(before).every((d) => d.endpoint === dev.host.transport.endpoint)).toBe(true);
    await dev.reboot();
    // the manufacturer comes back with the revoked VC
    expect(problemCode(await link.requestDiagnostics(dev.agent.identity.pairingDid, ['diagnostics'], vc as never))).toBe(SERVICE_AUTH_PROBLEM.revoked);
    // and the same credential cannot be granted again
    expect(await refusal(() => owner.grantServiceAuthorization(paired, { id: vc.id as string, manufacturer: link.did, scope: ALL, validUntil: until(HOUR) }))).toBe(SERVICE_AUTH_PROBLEM.revoked);
    const events = (await owner.readAuditLog(paired)).entries.map((e) => e.event);
    expect(events).toEqual(['pairing.paired', 'service-auth.granted', 'service-auth.revoked', 'service-auth.refused', 'service-auth.refused']);
  });

  it('an authorization issued by a former owner is refused after a transfer and after a factory reset', async () => {
    const { network, mfr, dev, owner, paired, link, until } = await setup();
    const device = dev.agent.identity.pairingDid;
    const old = await owner.grantServiceAuthorization(paired, { manufacturer: link.did, scope: ALL, validUntil: until(HOUR) });
    // transfer: the new owner takes over; the old owner's grant is void
    const next = testOwner(network, mfr, () => dev.host.now());
    const nextPaired = await next.pair(await owner.openTransfer(paired, 300));
    expect(problemCode(await link.requestDiagnostics(device, ['diagnostics'], old as never))).toBe(SERVICE_AUTH_PROBLEM.notOwner);
    // the new owner's own grant works
    const mine = await next.grantServiceAuthorization(nextPaired, { manufacturer: link.did, scope: ALL, validUntil: until(HOUR) });
    expect(problemCode(await link.requestDiagnostics(device, ['diagnostics'], mine as never))).toBeUndefined();
    // factory reset: nobody owns the device, no grant is valid
    await dev.host.pressFactoryReset();
    expect(problemCode(await link.requestDiagnostics(device, ['diagnostics'], mine as never))).toBe(SERVICE_AUTH_PROBLEM.notOwner);
    // pairing again after the reset does not revive the former owner's grant
    const third = testOwner(network, mfr, () => dev.host.now());
    await third.pair(dev.label.url);
    expect(problemCode(await link.requestDiagnostics(device, ['diagnostics'], mine as never))).toBe(SERVICE_AUTH_PROBLEM.notOwner);
    expect(await dev.agent.wallet.search('device:service-auth')).toHaveLength(0);
  });

  it('an authorization for another device, for another holder, or never granted is refused', async () => {
    const { network, mfr, dev, owner, paired, link, until } = await setup();
    const other = await manufacturedDevice(network, mfr, 'SN-S2');
    const otherPaired: PairedDevice = await owner.pair(other.label.url);
    const forOther = await owner.grantServiceAuthorization(otherPaired, { manufacturer: link.did, scope: ALL, validUntil: until(HOUR) });
    expect(problemCode(await link.requestDiagnostics(other.agent.identity.pairingDid, ['diagnostics'], forOther as never))).toBeUndefined();
    expect(problemCode(await link.requestDiagnostics(dev.agent.identity.pairingDid, ['diagnostics'], forOther as never))).toBe(SERVICE_AUTH_PROBLEM.wrongDevice);
    // a VC for this device that the owner never granted to it
    const granted = await owner.grantServiceAuthorization(paired, { manufacturer: link.did, scope: ALL, validUntil: until(HOUR) });
    const intruder = testManufacturerLink(network);
    expect(problemCode(await intruder.requestDiagnostics(dev.agent.identity.pairingDid, ['diagnostics'], granted as never))).toBe(SERVICE_AUTH_PROBLEM.wrongHolder);
    // a tampered VC (scope widened after signing) does not verify
    const narrow = await owner.grantServiceAuthorization(paired, { manufacturer: link.did, scope: ['usage-counters'], validUntil: until(HOUR) });
    const widened = { ...narrow, credentialSubject: { ...(narrow.credentialSubject as object), scope: ALL } };
    expect(problemCode(await link.requestDiagnostics(dev.agent.identity.pairingDid, ['diagnostics'], widened as never))).toBe(SERVICE_AUTH_PROBLEM.invalid);
    // the grant message itself is owner-only
    const stranger = testOwner(network, mfr, () => dev.host.now());
    const third = await manufacturedDevice(network, mfr, 'SN-S3');
    const theirs = await stranger.pair(third.label.url);
    const forged: PairedDevice = { ...theirs, device: paired.device, deviceDid: paired.deviceDid };
    expect(await refusal(() => stranger.revokeServiceAuthorization(forged, granted.id as string))).toBe('e.p.trust.not-owner');
    expect(problemCode(await link.requestDiagnostics(dev.agent.identity.pairingDid, ['diagnostics'], granted as never))).toBeUndefined();
  });
});
