/**
 * The owner's phone app: the OwnerAgent (owner/agent.ts, owner/conduit.ts)
 * running in the browser with the same protocols/ code as everywhere else,
 * its wallet in IndexedDB under a passphrase (vault.ts, idb-storage.ts).
 *
 * Screens: unlock / create / import; devices; add a device (camera scan of
 * the label QR, or paste its link); a device (credentials, policy, audit
 * log, manufacturer introduction, proof of ownership, service
 * authorizations, firmware approval, support, transfer); settings; export.
 *
 * Pushes (support replies, transfer-closed) reach a phone only through its
 * host: this app has no endpoint of its own (its pairwise DIDs have no
 * DIDComm service). It polls a push relay when the page names one (meta
 * ssiot-push-relay: the simulator's dashboard under `npm start`), and a host
 * that can hand it an envelope calls `window.ssiotOwnerApp.deliver(packed)`
 * (a test, a native wrapper's push handler); either way the envelope is
 * routed to the device whose pairwise owner DID it is encrypted to.
 */
import { addDeviceView } from './add-device.ts';
import { deviceView, onSupportPush } from './device-view.ts';
import { h, replace } from './dom.ts';
import { IndexedDbStorage } from './idb-storage.ts';
import { discoverManufacturerDid, installBrowserCrypto } from './platform.ts';
import { routePush } from './push.ts';
import { $, act, describeError, notice, show } from './screen.ts';
import { hasSession, makeAgent, session, setSession } from './session.ts';
import { OwnerVault, type AppSettings } from './vault.ts';

const WALLET = 'owner';

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';
}

// ------------------------------------------------------------------ session

async function startSession(vault: OwnerVault, fallback?: AppSettings): Promise<void> {
  let settings = await vault.settings();
  if (!settings) {
    settings = fallback ?? { manufacturerUrl: meta('ssiot-manufacturer-url'), manufacturerDid: meta('ssiot-manufacturer-did') };
    await vault.saveSettings(settings);
  }
  const agent = makeAgent(settings);
  agent.devices.push(...(await vault.devices()));
  setSession({ vault, agent, settings });
  document.body.dataset.unlocked = 'true';
  devicesView();
}

async function lock(): Promise<void> {
  const s = hasSession() ? session() : undefined;
  setSession(undefined);
  delete document.body.dataset.unlocked;
  await s?.vault.close();
  await startView();
}

// ------------------------------------------------------------------ unlock / create / import

async function startView(): Promise<void> {
  const storage = await IndexedDbStorage.open(WALLET);
  const exists = (await storage.getMeta('keys')) !== undefined;
  await storage.close();
  if (exists) unlockView();
  else createView();
}

function unlockView(): void {
  const pass = h('input', { type: 'password', id: 'passphrase', autocomplete: 'current-password', required: true });
  const form = h(
    'form',
    { class: 'card', id: 'unlock-form' },
    h('p', {}, 'Your wallet is on this phone, encrypted. Enter its passphrase to open it.'),
    h('label', {}, 'Passphrase', pass),
    h('button', { type: 'submit' }, 'Unlock'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void act('Unlocking the wallet (Argon2id)', async () => {
      const storage = await IndexedDbStorage.open(WALLET);
      try {
        await startSession(await OwnerVault.open(storage, pass.value));
      } catch (e) {
        await storage.close();
        throw e;
      }
    }, () => 'Wallet unlocked');
  });
  const reset = h('button', { type: 'button', class: 'secondary danger', id: 'forget-wallet' }, 'Delete this wallet from the phone');
  reset.addEventListener('click', () => {
    if (!confirm('Delete the wallet from this phone? Without an export, its devices are lost.')) return;
    void act('Deleting the wallet', async () => {
      await IndexedDbStorage.destroy(WALLET);
      createView();
    });
  });
  show('Unlock', undefined, form, h('p', { class: 'muted' }, reset));
}

function settingsInputs(initial: AppSettings): { url: HTMLInputElement; did: HTMLInputElement; nodes: HTMLElement[] } {
  const url = h('input', { type: 'url', id: 'manufacturer-url', value: initial.manufacturerUrl, placeholder: 'http://localhost:8080' });
  const did = h('input', { id: 'manufacturer-did', value: initial.manufacturerDid, placeholder: 'did:webvh:…' });
  const discover = h('button', { type: 'button', class: 'secondary', id: 'discover-did' }, 'Read the DID from the service');
  discover.addEventListener('click', () => void act('Reading the manufacturer DID', async () => (did.value = await discoverManufacturerDid(url.value)), (v) => `Manufacturer DID: ${v}`));
  return {
    url,
    did,
    nodes: [
      h('label', {}, 'Manufacturer service URL', url),
      h('p', { class: 'hint' }, 'Where the manufacturer’s DID log and owner endpoint are really served. Its did:webvh names an https:// domain (manufacturer.localhost in local development, which has no HTTPS): the app fetches that domain’s URLs from this service URL instead.'),
      h('label', {}, 'Trusted manufacturer DID', did),
      discover,
    ],
  };
}

function createView(): void {
  const pass = h('input', { type: 'password', id: 'new-passphrase', autocomplete: 'new-password', required: true, minlength: 8 });
  const again = h('input', { type: 'password', id: 'new-passphrase-again', autocomplete: 'new-password', required: true });
  const s = settingsInputs({ manufacturerUrl: meta('ssiot-manufacturer-url'), manufacturerDid: meta('ssiot-manufacturer-did') });
  const form = h(
    'form',
    { class: 'card', id: 'create-form' },
    h('h2', {}, 'New wallet'),
    h('p', {}, 'Your DIDs, keys and device credentials stay on this phone, encrypted with a key derived from this passphrase (Argon2id).'),
    h('label', {}, 'Passphrase (8 characters or more)', pass),
    h('label', {}, 'Again', again),
    ...s.nodes,
    h('button', { type: 'submit', id: 'create-wallet' }, 'Create the wallet'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (pass.value !== again.value) return notice('The two passphrases differ', 'error');
    void act('Creating the wallet (Argon2id)', async () => {
      const storage = await IndexedDbStorage.open(WALLET);
      try {
        await startSession(await OwnerVault.create(storage, pass.value), { manufacturerUrl: s.url.value.trim(), manufacturerDid: s.did.value.trim() });
      } catch (e) {
        await storage.close();
        throw e;
      }
    }, () => 'Wallet created');
  });
  show('Welcome', undefined, form, importForm());
}

function importForm(): HTMLElement {
  const file = h('input', { type: 'file', id: 'import-file', accept: '.ssiotwallet,application/octet-stream', required: true });
  const exportPass = h('input', { type: 'password', id: 'import-passphrase', required: true });
  const pass = h('input', { type: 'password', id: 'import-new-passphrase', autocomplete: 'new-password', required: true, minlength: 8 });
  const form = h(
    'form',
    { class: 'card', id: 'import-form' },
    h('h2', {}, 'Or bring your wallet from another phone'),
    h('label', {}, 'Export file', file),
    h('label', {}, 'The export’s passphrase', exportPass),
    h('label', {}, 'Passphrase for this phone', pass),
    h('button', { type: 'submit', id: 'import-wallet' }, 'Import'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = file.files?.[0];
    if (!f) return notice('Choose the export file', 'error');
    void act('Importing the wallet', async () => {
      const bytes = new Uint8Array(await f.arrayBuffer());
      const storage = await IndexedDbStorage.open(WALLET);
      let vault: OwnerVault | undefined;
      try {
        vault = await OwnerVault.create(storage, pass.value);
        const n = await vault.import(bytes, exportPass.value);
        await startSession(vault);
        return n;
      } catch (e) {
        // nothing half-imported stays behind: the import is atomic, the new wallet is dropped
        await (vault ? vault.close() : storage.close());
        await IndexedDbStorage.destroy(WALLET);
        throw e;
      }
    }, (n) => `Imported ${n} items`);
  });
  return form;
}

// ------------------------------------------------------------------ devices

function devicesView(): void {
  const s = session();
  const list = h('ul', { class: 'devices', id: 'device-list' });
  for (const d of s.agent.devices) {
    const item = h(
      'li',
      {},
      h('button', { type: 'button', class: 'device', 'data-device': d.device.did }, h('strong', {}, d.device.model), h('span', {}, `Serial ${d.device.serial}`), d.transfer ? h('span', { class: 'badge' }, 'transfer open') : null),
    );
    item.querySelector('button')!.addEventListener('click', () => deviceView(d, devicesView));
    list.append(item);
  }
  const add = h('button', { type: 'button', id: 'add-device' }, 'Add a device');
  add.addEventListener('click', () => addDeviceView(devicesView, (d) => deviceView(d, devicesView)));
  const settings = h('button', { type: 'button', class: 'secondary', id: 'open-settings' }, 'Settings');
  settings.addEventListener('click', () => settingsView());
  const exp = h('button', { type: 'button', class: 'secondary', id: 'open-export' }, 'Export the wallet');
  exp.addEventListener('click', () => exportView());
  show(
    'My devices',
    undefined,
    s.agent.devices.length === 0 ? h('p', { class: 'empty', id: 'no-devices' }, 'No devices. Scan the label on a device to pair with it.') : list,
    h('div', { class: 'actions' }, add, settings, exp),
  );
}

// ------------------------------------------------------------------ settings and export

function settingsView(): void {
  const s = session();
  const inputs = settingsInputs(s.settings);
  const form = h('form', { class: 'card', id: 'settings-form' }, ...inputs.nodes, h('button', { type: 'submit' }, 'Save'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void act('Saving the settings', async () => {
      const next = { manufacturerUrl: inputs.url.value.trim(), manufacturerDid: inputs.did.value.trim() };
      await s.vault.saveSettings(next);
      const agent = makeAgent(next);
      agent.devices.push(...s.agent.devices);
      setSession({ ...s, agent, settings: next });
    }).then(() => devicesView());
  });
  show('Settings', () => devicesView(), form);
}

function exportView(): void {
  const s = session();
  const pass = h('input', { type: 'password', id: 'export-passphrase', autocomplete: 'new-password', required: true, minlength: 8 });
  const form = h(
    'form',
    { class: 'card', id: 'export-form' },
    h('p', {}, 'Everything in your wallet (DIDs, keys, device credentials, relationships), encrypted with the passphrase you choose here. Import it in this app on another phone, or with `ssiot wallet import`.'),
    h('label', {}, 'Passphrase for the export file', pass),
    h('button', { type: 'submit', id: 'export-wallet' }, 'Export'),
  );
  const out = h('p', { id: 'export-result' });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void act('Exporting (Argon2id)', () => s.vault.export(pass.value), (b) => `Export ready: ${b.length} bytes`).then((bytes) => {
      if (!bytes) return;
      const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
      const a = h('a', { href: URL.createObjectURL(blob), download: `owner-wallet-${new Date().toISOString().slice(0, 10)}.ssiotwallet`, id: 'export-download' }, 'Download the export file');
      replace(out, a);
      a.click();
    });
  });
  show('Export', () => devicesView(), form, out);
}

// ------------------------------------------------------------------ pushes from the host

/** What a host calls with an envelope a device pushed (support reply, transfer-closed). */
async function deliver(packed: string): Promise<string> {
  const s = session();
  const paired = routePush(s.agent.devices, packed);
  if (!paired) throw new Error('no paired device sent this');
  const push = await s.agent.receive(paired, packed);
  if (push.kind === 'support') {
    const t = await s.vault.supportThread(push.relayed.supportThreadId);
    if (t) {
      t.messages.push({ from: push.relayed.from, text: push.relayed.text });
      await s.vault.saveSupport(t);
    }
    notice(`Support (${paired.device.model}): ${push.relayed.text}`, 'info');
    onSupportPush?.();
    return 'support';
  }
  if (push.reason === 'completed') {
    await s.vault.forgetDevice(paired.device.did);
    notice(`${paired.device.model} ${paired.device.serial} now has a new owner`, 'ok');
    devicesView();
  } else {
    await s.vault.saveDevice(paired);
    notice('The transfer window expired', 'info');
  }
  return `transfer-${push.reason}`;
}

/**
 * Polls the push relay (a meta default: the simulator's dashboard) for what
 * the paired devices pushed to this owner, every 2 s while unlocked. The
 * relay holds envelopes encrypted to the owner; ones already received fail
 * the replay guard and are skipped.
 */
function pollPushes(): void {
  const relay = meta('ssiot-push-relay');
  if (!relay) return;
  const after = new Map<string, number>();
  let busy = false;
  setInterval(() => {
    if (busy) return;
    let s;
    try {
      s = session();
    } catch {
      return; // locked
    }
    busy = true;
    void (async () => {
      for (const d of [...s.agent.devices]) {
        const res = await fetch(`${relay}/api/pushes?to=${encodeURIComponent(d.ownerDid)}&after=${after.get(d.ownerDid) ?? 0}`).catch(() => undefined);
        if (!res?.ok) continue;
        const { pushes } = (await res.json()) as { pushes: { seq: number; packed: string }[] };
        for (const p of pushes) {
          after.set(d.ownerDid, p.seq);
          await deliver(p.packed).catch(() => undefined);
        }
      }
    })().finally(() => (busy = false));
  }, 2000);
}

// ------------------------------------------------------------------ start

declare global {
  interface Window {
    ssiotOwnerApp?: { deliver(packed: string): Promise<string> };
  }
}

installBrowserCrypto();
window.ssiotOwnerApp = { deliver };
pollPushes();
$('lock').addEventListener('click', () => void lock());
void startView().catch((e) => notice(`The wallet storage is unavailable: ${describeError(e)}`, 'error'));
