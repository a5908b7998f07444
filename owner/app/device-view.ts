/**
 * One device's page: its credentials (imprint, device certificate), the
 * policy editor, the audit log (and firmware approval under "ask"), the
 * manufacturer introduction and proof of ownership, service
 * authorizations, support through the device, and ownership transfer.
 * The device is the authority on its policy and log: they are read from it.
 */
import type { PairedDevice } from '../agent.ts';
import type { ManufacturerRelationship, OwnershipAck } from '../conduit.ts';
import { FIRMWARE_MODES, type AuditEntry, type FirmwareMode, type Policy } from '../../protocols/messages/policy.ts';
import { SERVICE_SCOPES, type ServiceScope } from '../../protocols/messages/service-auth.ts';
import type { VerifiableCredential } from '../../protocols/vc/credential.ts';
import { append, fields, h, qrElement, replace } from './dom.ts';
import { act, describeError, notice, section, show } from './screen.ts';
import { session } from './session.ts';
import type { StoredAuthorization } from './vault.ts';

/** Called when a support push arrived for the device page on screen (re-renders its threads). */
export let onSupportPush: (() => void) | undefined;

function subjectOf(vc: VerifiableCredential): Record<string, unknown> {
  const cs = vc.credentialSubject as unknown;
  return ((Array.isArray(cs) ? cs[0] : cs) ?? {}) as Record<string, unknown>;
}

function issuerOf(vc: VerifiableCredential): string {
  const i = vc.issuer as unknown;
  return typeof i === 'string' ? i : String((i as { id?: unknown })?.id ?? '');
}

/** Where the device publishes the credential's revocation: "<status list> #<index>" (undefined without one). */
function statusOf(vc: VerifiableCredential): string | undefined {
  const raw = vc.credentialStatus as unknown;
  const e = (Array.isArray(raw) ? raw[0] : raw) as { statusListCredential?: unknown; statusListIndex?: unknown } | undefined;
  return e && typeof e.statusListCredential === 'string' ? `${e.statusListCredential} #${String(e.statusListIndex)}` : undefined;
}

export function deviceView(d: PairedDevice, back: () => void): void {
  const cert = d.certificate;
  const imprint = d.imprint;
  show(
    `${d.device.model}`,
    back,
    section(
      'Credentials',
      'credentials',
      h('h3', {}, 'Owner imprint'),
      fields(
        [
          ['Issuer (the device)', issuerOf(imprint)],
          ['Subject (you, for this device)', String(subjectOf(imprint).id ?? d.ownerDid)],
          ['Since', String(imprint.validFrom ?? '')],
          ['Id', imprint.id],
          ['Revocation', statusOf(imprint)],
        ],
        'imprint',
      ),
      // the whole credential, to copy and present elsewhere (a verifier checks it with the device's status list)
      h('details', {}, h('summary', {}, 'The credential (JSON)'), h('pre', { class: 'mono', 'data-testid': 'imprint-json' }, JSON.stringify(imprint, null, 2))),
      h('h3', {}, 'Device certificate'),
      fields(
        [
          ['Issuer (manufacturer)', issuerOf(cert)],
          ['Subject (device)', d.device.did],
          ['Model', d.device.model],
          ['Serial', d.device.serial],
          ['Hardware revision', d.device.hardwareRevision],
          ['Since', String(cert.validFrom ?? '')],
        ],
        'certificate',
      ),
    ),
    policySection(d),
    auditSection(d),
    manufacturerSection(d),
    authorizationSection(d),
    supportSection(d),
    transferSection(d),
  );
}

function policySection(d: PairedDevice): HTMLElement {
  const s = session();
  const boxes = {
    diagnostics: h('input', { type: 'checkbox', id: 'share-diagnostics' }),
    usageCounters: h('input', { type: 'checkbox', id: 'share-usage' }),
    errorLogs: h('input', { type: 'checkbox', id: 'share-errors' }),
  };
  const firmware = h('select', { id: 'firmware-mode' }, ...FIRMWARE_MODES.map((m) => h('option', { value: m }, m)));
  const form = h('form', { id: 'policy-form' });
  const fill = (p: Policy) => {
    boxes.diagnostics.checked = p.share.diagnostics;
    boxes.usageCounters.checked = p.share.usageCounters;
    boxes.errorLogs.checked = p.share.errorLogs;
    firmware.value = p.firmware;
    form.dataset.loaded = 'true';
    form.dataset.policy = JSON.stringify(p);
  };
  const save = h('button', { type: 'submit', id: 'save-policy' }, 'Save the policy');
  const reload = h('button', { type: 'button', class: 'secondary', id: 'load-policy' }, 'Read from the device');
  reload.addEventListener('click', () => void act('Reading the policy', () => s.agent.getPolicy(d)).then((p) => p && fill(p)));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const update = {
      share: { diagnostics: boxes.diagnostics.checked, usageCounters: boxes.usageCounters.checked, errorLogs: boxes.errorLogs.checked },
      firmware: firmware.value as FirmwareMode,
    };
    void act('Saving the policy', () => s.agent.setPolicy(d, update), () => 'The device applied the policy').then((p) => p && fill(p));
  });
  append(
    form,
    h('label', { class: 'check' }, boxes.diagnostics, 'Share diagnostics with the manufacturer'),
    h('label', { class: 'check' }, boxes.usageCounters, 'Share usage counters'),
    h('label', { class: 'check' }, boxes.errorLogs, 'Share error logs'),
    h('label', {}, 'Firmware updates', firmware),
    h('div', { class: 'actions' }, save, reload),
  );
  // read the policy in force once the page is up (the device is the authority, not the phone)
  void s.agent.getPolicy(d).then(fill, (e) => notice(`Could not read the policy: ${describeError(e)}`, 'error'));
  return section('Policy', 'policy', form);
}

function auditSection(d: PairedDevice): HTMLElement {
  const s = session();
  const table = h('table', { id: 'audit-log' });
  const approvals = h('div', { id: 'firmware-approvals' });
  const load = h('button', { type: 'button', id: 'load-audit' }, 'Read the audit log');
  load.addEventListener('click', () =>
    void act('Reading the audit log', async () => {
      const all: AuditEntry[] = [];
      let since: number | undefined;
      for (let page = 0; page < 20; page++) {
        const r = await s.agent.readAuditLog(d, since === undefined ? {} : { since });
        all.push(...r.entries);
        if (r.next === undefined) break;
        since = r.next;
      }
      return all;
    }, (all) => `${all.length} audit entries`).then((all) => {
      if (!all) return;
      replace(
        table,
        h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'When'), h('th', {}, 'Event'), h('th', {}, 'Detail'))),
        h('tbody', {}, ...[...all].reverse().map((e) => h('tr', { 'data-event': e.event }, h('td', {}, e.seq), h('td', {}, new Date(e.time * 1000).toISOString().replace('T', ' ').slice(0, 19)), h('td', {}, e.event), h('td', { class: 'mono' }, e.detail ?? '')))),
      );
      // releases held under the "ask" policy: approve from here
      const approved = new Set(all.filter((e) => e.event === 'firmware.approved').map((e) => e.detail));
      const pending = all.filter((e) => e.event === 'firmware.awaiting-approval' && e.detail && !approved.has(e.detail));
      replace(approvals);
      for (const e of pending) {
        const seq = Number(/sequence=(\d+)/.exec(e.detail ?? '')?.[1]);
        if (!Number.isInteger(seq)) continue;
        const b = h('button', { type: 'button', 'data-approve': seq }, `Approve firmware release ${seq}`);
        b.addEventListener('click', () => void act(`Approving release ${seq}`, () => s.agent.approveFirmware(d, seq), (r) => `Release ${r.sequence}: ${r.status}`));
        approvals.append(b);
      }
    }),
  );
  return section('Audit log', 'audit', h('p', { class: 'hint' }, 'What the device did and shared, from its own tamper-evident log.'), load, approvals, table);
}

function manufacturerSection(d: PairedDevice): HTMLElement {
  const s = session();
  const out = h('div', { id: 'relationship' });
  const proof = h('div', { id: 'ownership-result' });
  const render = (rel: ManufacturerRelationship | undefined) => {
    replace(out, rel ? fields([['Manufacturer', rel.manufacturer.name], ['Its DID for you', rel.theirDid], ['Your DID for it', rel.myDid]], 'relationship-fields') : h('p', { class: 'empty' }, 'Not introduced yet.'));
    prove.disabled = rel === undefined;
  };
  const introduce = h('button', { type: 'button', id: 'introduce' }, 'Introduce me to the manufacturer');
  const prove = h('button', { type: 'button', id: 'prove-ownership', disabled: true }, 'Prove ownership');
  introduce.addEventListener('click', () =>
    void act('Asking the device for an introduction', async () => {
      const outcome = await s.agent.conduit.introduceManufacturer(d, (p) => confirm(`The device proposes to introduce you to ${p.name}${p.did ? ` (${p.did})` : ''}. Accept?`));
      if (outcome.status !== 'connected') throw new Error(`the introduction was declined by the ${outcome.by} (${outcome.problem})`);
      await s.vault.saveRelationship(d.device.did, outcome.relationship);
      return outcome.relationship;
    }, (rel) => `Connected to ${rel.manufacturer.name}`).then((rel) => rel && render(rel)),
  );
  prove.addEventListener('click', () =>
    void act('Proving ownership to the manufacturer', async () => {
      const rel = await s.vault.relationship(d.device.did);
      if (!rel) throw new Error('introduce yourself to the manufacturer first');
      return s.agent.conduit.proveOwnership(d, rel);
    }, (a) => (a.verified ? 'The manufacturer verified your ownership' : 'The manufacturer did not accept the proof')).then((ack) => ack && renderAck(proof, ack)),
  );
  void s.vault.relationship(d.device.did).then(render);
  return section('Manufacturer', 'manufacturer', out, h('div', { class: 'actions' }, introduce, prove), proof);
}

function renderAck(el: HTMLElement, ack: OwnershipAck): void {
  replace(
    el,
    h('p', { class: ack.verified ? 'ok' : 'error', 'data-verified': String(ack.verified) }, ack.verified ? 'Verified by the manufacturer.' : 'Not verified.'),
    h('h3', {}, 'What the verifier checked'),
    h('ul', { id: 'ownership-checks' }, ...ack.checks.map((c) => h('li', {}, c))),
    ack.errors.length ? h('ul', { class: 'error' }, ...ack.errors.map((c) => h('li', {}, c))) : null,
  );
}

function authorizationSection(d: PairedDevice): HTMLElement {
  const s = session();
  const list = h('ul', { id: 'authorizations' });
  const scopes = Object.fromEntries(SERVICE_SCOPES.map((sc) => [sc, h('input', { type: 'checkbox', id: `scope-${sc}`, checked: sc === 'diagnostics' })])) as Record<ServiceScope, HTMLInputElement>;
  const days = h('input', { type: 'number', id: 'grant-days', value: 30, min: 1, max: 365 });
  const render = async () => {
    const all = await s.vault.authorizations(d.device.did);
    replace(list, ...(all.length === 0 ? [h('li', { class: 'empty' }, 'None.')] : all.map((a) => authorizationItem(d, a, render))));
  };
  const grant = h('button', { type: 'button', id: 'grant' }, 'Grant');
  grant.addEventListener('click', () =>
    void act('Granting the service authorization', async () => {
      const rel = await s.vault.relationship(d.device.did);
      if (!rel) throw new Error('introduce yourself to the manufacturer first: the authorization names its DID for you');
      const scope = SERVICE_SCOPES.filter((sc) => scopes[sc].checked);
      if (scope.length === 0) throw new Error('choose at least one scope');
      const validUntil = new Date(Date.now() + Number(days.value) * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const credential = await s.agent.grantServiceAuthorization(d, { manufacturer: rel.theirDid, scope, validUntil });
      await s.vault.saveAuthorization({ device: d.device.did, credential, state: 'active', sharedWithManufacturer: false });
      // then to the manufacturer, its holder, which presents it with its diagnostics requests
      await s.agent.conduit.shareServiceAuthorization(rel, credential);
      await s.vault.saveAuthorization({ device: d.device.did, credential, state: 'active', sharedWithManufacturer: true });
      return credential;
    }, () => 'The device and the manufacturer have the authorization').then(() => render()),
  );
  void render();
  return section(
    'Service authorization',
    'service-auth',
    h('p', { class: 'hint' }, 'Let the manufacturer ask this device for data, within the policy, until a date. Revoke at any time.'),
    ...SERVICE_SCOPES.map((sc) => h('label', { class: 'check' }, scopes[sc], sc)),
    h('label', {}, 'Valid for (days)', days),
    grant,
    list,
  );
}

function authorizationItem(d: PairedDevice, a: StoredAuthorization, rerender: () => Promise<void>): HTMLElement {
  const s = session();
  const terms = subjectOf(a.credential);
  const li = h(
    'li',
    { 'data-credential': String(a.credential.id), 'data-state': a.state },
    h('span', { class: 'mono' }, String(a.credential.id)),
    h('span', {}, ` ${(terms.scope as string[] | undefined)?.join(', ') ?? ''} until ${String(a.credential.validUntil ?? '')} — ${a.state}`),
  );
  if (a.state === 'active') {
    const revoke = h('button', { type: 'button', class: 'secondary', 'data-revoke': String(a.credential.id) }, 'Revoke');
    revoke.addEventListener('click', () =>
      void act('Revoking', async () => {
        // the device is the one that enforces it: revoked there first (works with the manufacturer offline)
        await s.agent.revokeServiceAuthorization(d, String(a.credential.id));
        await s.vault.saveAuthorization({ ...a, state: 'revoked' });
        const rel = a.sharedWithManufacturer ? await s.vault.relationship(d.device.did) : undefined;
        if (rel) await s.agent.conduit.withdrawServiceAuthorization(rel, String(a.credential.id));
      }, () => 'Revoked on the device and at the manufacturer').then(() => rerender()),
    );
    li.append(revoke);
  }
  return li;
}

function supportSection(d: PairedDevice): HTMLElement {
  const s = session();
  const threads = h('div', { id: 'support-threads' });
  const subject = h('input', { id: 'support-subject', placeholder: 'The grinder is noisy' });
  const text = h('textarea', { id: 'support-text', rows: 2 });
  const render = async () => {
    const all = await s.vault.supportThreads(d.device.did);
    replace(
      threads,
      ...all.map((t) => {
        const input = h('input', { 'data-reply-to': t.handle.supportThreadId, placeholder: 'Write…' });
        const send = h('button', { type: 'button' }, 'Send');
        send.addEventListener('click', () =>
          void act('Sending', async () => {
            await s.agent.conduit.sendSupport(d, t.handle, input.value);
            const now = (await s.vault.supportThread(t.handle.supportThreadId)) ?? t;
            now.messages.push({ from: 'owner', text: input.value });
            await s.vault.saveSupport(now);
          }).then(() => render()),
        );
        const closed = t.messages.some((m) => m.from === 'closed');
        return h(
          'div',
          { class: 'thread', 'data-thread': t.handle.supportThreadId },
          h('h3', {}, t.subject),
          h('ul', { class: 'messages' }, ...t.messages.map((m) => h('li', { class: `from-${m.from}` }, h('strong', {}, m.from === 'closed' ? 'closed' : m.from), ' ', m.text))),
          closed ? null : h('div', { class: 'actions' }, input, send),
        );
      }),
    );
  };
  const open = h('button', { type: 'button', id: 'open-support' }, 'Ask support (through the device)');
  open.addEventListener('click', () =>
    void act('Opening a support thread', async () => {
      const handle = await s.agent.conduit.openSupport(d, subject.value || 'Help', text.value || undefined);
      await s.vault.saveSupport({ device: d.device.did, handle, subject: subject.value || 'Help', messages: text.value ? [{ from: 'owner', text: text.value }] : [] });
      subject.value = text.value = '';
    }).then(() => render()),
  );
  onSupportPush = () => void render();
  void render();
  return section(
    'Support',
    'support',
    h('p', { class: 'hint' }, 'The device relays the conversation and adds only what your policy lets it share. Replies appear when your phone’s host delivers them.'),
    h('label', {}, 'Subject', subject),
    h('label', {}, 'Message', text),
    open,
    threads,
  );
}

function transferSection(d: PairedDevice): HTMLElement {
  const s = session();
  const out = h('div', { id: 'transfer' });
  const minutes = h('input', { type: 'number', id: 'transfer-minutes', value: 10, min: 1, max: 60 });
  const openB = h('button', { type: 'button', id: 'open-transfer' }, 'Give this device to someone');
  const cancel = h('button', { type: 'button', class: 'secondary', id: 'cancel-transfer' }, 'Cancel the transfer');
  const render = (url?: string) => {
    cancel.hidden = !d.transfer;
    if (!d.transfer) return replace(out);
    replace(
      out,
      h('p', {}, `Open until ${new Date(d.transfer.expires * 1000).toLocaleTimeString()}. The new owner scans this code or opens the link; your ownership ends when they pair.`),
      url ? qrElement(url, 'transfer invitation') : null,
      url ? h('textarea', { id: 'transfer-link', readonly: true, rows: 4 }, url) : null,
    );
  };
  openB.addEventListener('click', () =>
    void act('Opening a transfer window', async () => {
      const url = await s.agent.openTransfer(d, Number(minutes.value) * 60);
      await s.vault.saveDevice(d);
      return url;
    }, () => 'Transfer window open').then((url) => url && render(url)),
  );
  cancel.addEventListener('click', () =>
    void act('Cancelling the transfer', async () => {
      await s.agent.cancelTransfer(d);
      await s.vault.saveDevice(d);
    }, () => 'Transfer cancelled: the invitation no longer works').then(() => render()),
  );
  render();
  return section('Transfer ownership', 'transfer-section', h('label', {}, 'Window (minutes)', minutes), h('div', { class: 'actions' }, openB, cancel), out);
}
