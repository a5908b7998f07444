// The manufacturer console: plain JavaScript, no framework, no build step.
//
// Safety rules of this file: every piece of data reaches the page through
// textContent or element properties (never parsed as markup), so nothing a device,
// an owner or an upload names can run as script; the CSP (script-src 'self')
// would block it anyway. Every state-changing request carries the session's
// CSRF token in `x-csrf-token` (GET /api/session hands it over).

const state = {
  csrf: '',
  view: 'releases',
  rollouts: new Map(), // id -> last progress seen
  releases: new Map(), // id -> release (names rollouts by version)
  poll: 0,
  fleet: { q: '', offset: 0, limit: 25, total: 0 },
  thread: '',
};

const $ = (id) => document.getElementById(id);

/** Creates an element; `props` are set as properties (textContent, className, value…), children appended. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('aria-') || k === 'role') node.setAttribute(k, String(v));
    else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : String(c ?? ''));
  return node;
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** JSON API call with the CSRF header on state-changing methods. A 401 sends the user back to sign-in. */
async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = state.csrf;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data?.error?.code ?? `http.${res.status}`, data?.error?.message ?? res.statusText);
    if (res.status === 401 && path !== '/api/session') showSignIn();
    throw err;
  }
  return data;
}

function notify(message, kind = 'error') {
  const n = $('notice');
  n.textContent = message;
  n.className = kind === 'info' ? 'info' : '';
  n.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => (n.hidden = true), 8000);
}

function fail(e) {
  if (e instanceof ApiError && e.status === 401) return;
  notify(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e?.message ?? e));
}

const fmtTime = (t) => {
  if (t === undefined || t === null || t === '') return '—';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
};
const fmtSize = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

// ------------------------------------------------------------------ session

function showSignIn() {
  stopPolling();
  state.csrf = '';
  $('sign-in-view').hidden = false;
  $('nav').hidden = true;
  $('sign-out').hidden = true;
  $('whoami').textContent = '';
  for (const v of document.querySelectorAll('.view')) v.hidden = true;
  $('username').focus();
}

function signedIn(session) {
  state.csrf = session.csrfToken;
  $('sign-in-view').hidden = true;
  $('nav').hidden = false;
  $('sign-out').hidden = false;
  $('whoami').textContent = `${session.username} (${session.role})`;
  show(state.view);
}

$('sign-in-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('sign-in-error').textContent = '';
  try {
    const session = await api('POST', '/api/session', { username: $('username').value, password: $('password').value });
    $('password').value = '';
    signedIn(session);
  } catch (e) {
    $('sign-in-error').textContent = e instanceof ApiError ? e.message : String(e);
  }
});

$('sign-out').addEventListener('click', async () => {
  try {
    await api('DELETE', '/api/session');
  } catch (e) {
    fail(e);
  }
  showSignIn();
});

// ------------------------------------------------------------------ views

function show(view) {
  state.view = view;
  for (const b of document.querySelectorAll('#nav button')) {
    if (b.dataset.view === view) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== `${view}-view`;
  $('notice').hidden = true;
  stopPolling();
  if (view === 'releases') {
    loadReleases().catch(fail);
    startPolling();
  } else if (view === 'fleet') loadFleet().catch(fail);
  else if (view === 'identity') loadIdentity().catch(fail);
  else if (view === 'support') loadThreads().catch(fail);
}

for (const b of document.querySelectorAll('#nav button')) b.addEventListener('click', () => show(b.dataset.view));

// ------------------------------------------------------------------ releases

async function loadReleases() {
  const [{ releases }, { rollouts }] = await Promise.all([api('GET', '/api/releases'), api('GET', '/api/rollouts')]);
  state.releases = new Map(releases.map((r) => [r.id, r]));
  renderReleases(releases);
  state.rollouts = new Map(rollouts.map((r) => [r.id, r]));
  renderRollouts();
}

function actionButton(label, onClick, props = {}) {
  const b = el('button', { type: 'button', textContent: label, ...props });
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await onClick();
    } catch (e) {
      fail(e);
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

function renderReleases(releases) {
  const body = $('releases-table').tBodies[0];
  body.replaceChildren(
    ...releases.map((r) => {
      const actions = el('td', { className: 'actions' });
      if (r.state === 'draft') actions.append(actionButton('Sign', () => releaseAction(r.id, 'sign'), { className: 'secondary', dataset: { action: 'sign' } }));
      if (r.state === 'draft' || r.state === 'signed') actions.append(actionButton('Publish', () => releaseAction(r.id, 'publish'), { dataset: { action: 'publish' } }));
      if (r.state === 'published') actions.append(actionButton('Withdraw', () => releaseAction(r.id, 'withdraw'), { className: 'secondary', dataset: { action: 'withdraw' } }));
      return el(
        'tr',
        { dataset: { releaseId: r.id, state: r.state } },
        el('td', { textContent: r.deviceClass }),
        el('td', { textContent: r.version }),
        el('td', { textContent: String(r.sequence) }),
        el('td', { className: 'release-state', textContent: r.state }),
        el('td', { textContent: fmtSize(r.image.size) }),
        el('td', { className: 'mono', textContent: r.image.sha256.slice(0, 16) + '…', title: r.image.sha256 }),
        el('td', { textContent: fmtTime(r.createdAt) }),
        actions,
      );
    }),
  );
  if (releases.length === 0) body.append(el('tr', {}, el('td', { colSpan: 8, className: 'empty', textContent: 'No releases yet.' })));
  const select = $('rollout-release');
  const chosen = select.value;
  select.replaceChildren(
    ...releases.filter((r) => r.state === 'published').map((r) => el('option', { value: r.id, textContent: `${r.deviceClass} ${r.version} (#${r.sequence})` })),
  );
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

async function releaseAction(id, action) {
  if (action === 'withdraw' && !window.confirm('Withdraw this release? Its active rollouts are aborted.')) return;
  await api('POST', `/api/releases/${encodeURIComponent(id)}/${action}`);
  notify(`Release ${action === 'sign' ? 'signed' : action === 'publish' ? 'published' : 'withdrawn'}.`, 'info');
  await loadReleases();
}

/** Upload with XMLHttpRequest: fetch has no upload progress, XHR's upload.onprogress does. */
$('upload-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const file = $('upload-file').files[0];
  if (!file) return notify('Choose an image file.');
  const q = new URLSearchParams({ class: $('upload-class').value.trim(), version: $('upload-version').value.trim() });
  const bar = $('upload-progress');
  const pct = $('upload-percent');
  const submit = ev.submitter ?? $('upload-form').querySelector('button[type=submit]');
  const xhr = new XMLHttpRequest();
  xhr.open('POST', `/api/releases?${q}`);
  xhr.setRequestHeader('content-type', 'application/octet-stream');
  xhr.setRequestHeader('x-csrf-token', state.csrf);
  xhr.responseType = 'json';
  bar.value = 0;
  pct.textContent = '0%';
  submit.disabled = true;
  xhr.upload.onprogress = (e) => {
    if (!e.lengthComputable) return;
    const p = Math.round((e.loaded / e.total) * 100);
    bar.value = p;
    pct.textContent = `${p}%`;
    bar.dataset.events = String(Number(bar.dataset.events ?? 0) + 1);
  };
  xhr.onload = () => {
    submit.disabled = false;
    if (xhr.status === 201) {
      bar.value = 100;
      pct.textContent = '100%';
      notify(`Uploaded ${xhr.response.deviceClass} ${xhr.response.version} (draft).`, 'info');
      $('upload-form').reset();
      loadReleases().catch(fail);
    } else {
      const err = xhr.response?.error;
      pct.textContent = 'failed';
      if (xhr.status === 401) showSignIn();
      else notify(err ? `${err.code}: ${err.message}` : `upload failed (${xhr.status})`);
    }
  };
  xhr.onerror = () => {
    submit.disabled = false;
    pct.textContent = 'failed';
    notify('upload failed: network error');
  };
  xhr.send(file);
});

$('rollout-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const releaseId = $('rollout-release').value;
  if (!releaseId) return notify('Publish a release first.');
  const stages = $('rollout-stages').value.split(',').map((s) => Number(s.trim())).filter((n) => !Number.isNaN(n));
  const body = { releaseId, stages };
  const success = $('rollout-success').value.trim();
  const error = $('rollout-error').value.trim();
  if (success) body.successThreshold = Number(success);
  if (error) body.errorThreshold = Number(error);
  try {
    const ro = await api('POST', '/api/rollouts', body);
    state.rollouts.set(ro.id, ro);
    renderRollouts();
    notify('Rollout started.', 'info');
  } catch (e) {
    fail(e);
  }
});

const ACTIVE = new Set(['draft', 'running', 'paused']);

function renderRollouts() {
  const box = $('rollouts');
  const list = [...state.rollouts.values()].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
  if (list.length === 0) return box.replaceChildren(el('p', { className: 'empty', textContent: 'No rollouts yet.' }));
  box.replaceChildren(...list.map(rolloutCard));
}

function bar(value, max, label) {
  return el('progress', { max: Math.max(max, 1), value: Math.min(value, Math.max(max, 1)), 'aria-label': label });
}

function rolloutCard(ro) {
  const stageRows = ro.stages.map((s) => {
    // an empty stage has nothing to install: full once the rollout moved past it
    const passed = ro.state === 'completed' || ro.currentStage > s.index;
    const value = s.devices === 0 ? (passed ? 1 : 0) : s.installed;
    const p = s.devices === 0 ? (passed ? 100 : 0) : Math.floor((s.installed / s.devices) * 100);
    return el(
      'div',
      { className: 'stage', dataset: { stage: String(s.index), percent: String(p) } },
      el('span', { textContent: `Stage ${s.index + 1} · ${s.percent}%${s.index === ro.currentStage && ro.state === 'running' ? ' (current)' : ''}` }),
      bar(value, s.devices, `stage ${s.index + 1} installed`),
      el('span', { textContent: `${s.installed}/${s.devices} installed · ${s.installing} installing · ${s.failed} failed` }),
    );
  });
  const t = ro.totals;
  const total = t.devices === 0 ? (ro.state === 'completed' ? 100 : 0) : Math.floor((t.installed / t.devices) * 100);
  const buttons = el('div', { className: 'buttons' });
  for (const action of ['start', 'pause', 'resume', 'abort']) {
    if (action === 'start' && !ro.actions.includes('start')) continue;
    const b = actionButton(action[0].toUpperCase() + action.slice(1), () => rolloutAction(ro.id, action), {
      className: action === 'abort' ? 'secondary' : '',
      dataset: { action },
    });
    b.disabled = !ro.actions.includes(action);
    buttons.append(b);
  }
  return el(
    'article',
    { className: 'rollout card', dataset: { rolloutId: ro.id, state: ro.state, percent: String(total) } },
    el(
      'header',
      {},
      el('strong', { textContent: `${ro.deviceClass} ${state.releases.get(ro.releaseId)?.version ?? ro.releaseId}` }),
      el('span', { className: 'mono', textContent: ro.id }),
      el('span', { className: `state ${ro.state}`, textContent: ro.state }),
      el('span', { textContent: `${t.installed}/${t.devices} devices installed (${total}%)` }),
      ro.pausedReason ? el('span', { className: 'error', textContent: `paused: ${ro.pausedReason}` }) : '',
    ),
    el('div', { className: 'stage total', dataset: { percent: String(total) } }, el('span', { textContent: 'All stages' }), bar(t.installed, t.devices, 'all devices installed'), el('span', { textContent: `${t.failed} failed` })),
    ...stageRows,
    buttons,
  );
}

async function rolloutAction(id, action) {
  if (action === 'abort' && !window.confirm('Abort this rollout? Devices not yet updated stay on their firmware.')) return;
  const ro = await api('POST', `/api/rollouts/${encodeURIComponent(id)}/${action}`);
  state.rollouts.set(ro.id, ro);
  renderRollouts();
}

/** Live progress: every second, GET /api/rollouts/:id for each rollout not yet finished. */
function startPolling() {
  stopPolling();
  let busy = false;
  state.poll = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const active = [...state.rollouts.values()].filter((r) => ACTIVE.has(r.state));
      if (active.length === 0) return;
      const fresh = await Promise.all(active.map((r) => api('GET', `/api/rollouts/${encodeURIComponent(r.id)}`)));
      for (const ro of fresh) state.rollouts.set(ro.id, ro);
      renderRollouts();
    } catch (e) {
      fail(e);
    } finally {
      busy = false;
    }
  }, 1000);
}

function stopPolling() {
  if (state.poll) clearInterval(state.poll);
  state.poll = 0;
}

// ------------------------------------------------------------------ fleet

/** Remote diagnostics under the owner's service authorization; the answer (or the device's refusal) goes to the notice line. */
function diagnosticsButton(d) {
  const b = el('button', { type: 'button', textContent: 'Diagnostics', className: 'diagnostics' });
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      const r = await api('POST', `/api/devices/${encodeURIComponent(d.did)}/diagnostics`, {});
      if (r.status === 'answered') notify(`${d.serial}: ${JSON.stringify(r.data)}`, 'info');
      else notify(`${d.serial}: the device refused (${r.code})`);
    } catch (e) {
      fail(e);
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

async function loadFleet() {
  const { q, offset, limit } = state.fleet;
  const params = new URLSearchParams({ limit: String(limit), offset: String(offset) });
  if (q) params.set('q', q);
  const { devices, total } = await api('GET', `/api/devices?${params}`);
  state.fleet.total = total;
  const body = $('fleet-table').tBodies[0];
  body.replaceChildren(
    ...devices.map((d) =>
      el(
        'tr',
        { dataset: { did: d.did } },
        el('td', { textContent: d.model }),
        el('td', { textContent: d.serial }),
        el('td', { className: 'mono', textContent: d.did }),
        el('td', { className: 'mono', textContent: d.classId }),
        el('td', { textContent: d.hardwareRevision }),
        el('td', { textContent: d.firmware ? `${d.firmware.version} (#${d.firmware.sequence})` : '—' }),
        el('td', { textContent: d.lastStatus ?? '—' }),
        el('td', { textContent: d.connected ? 'connected' : `offline${d.lastSeen ? ` since ${fmtTime(d.lastSeen)}` : ''}` }),
        el('td', { textContent: d.warranty ? `registered ${fmtTime(d.warranty.registeredAt)}` : '—' }),
        el('td', { textContent: fmtTime(d.provisionedAt) }),
        el('td', {}, diagnosticsButton(d)),
      ),
    ),
  );
  if (devices.length === 0) body.append(el('tr', {}, el('td', { colSpan: 11, className: 'empty', textContent: q ? 'No device matches.' : 'No devices yet.' })));
  $('fleet-total').textContent = `${total} device${total === 1 ? '' : 's'}${q ? ` matching “${q}”` : ''}`;
  const pages = Math.max(1, Math.ceil(total / limit));
  $('fleet-page').textContent = `page ${Math.floor(offset / limit) + 1} of ${pages}`;
  $('fleet-prev').disabled = offset === 0;
  $('fleet-next').disabled = offset + limit >= total;
}

let searchTimer = 0;
$('fleet-search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    state.fleet.q = $('fleet-search').value.trim();
    state.fleet.offset = 0;
    loadFleet().catch(fail);
  }, 250);
});
$('fleet-prev').addEventListener('click', () => {
  state.fleet.offset = Math.max(0, state.fleet.offset - state.fleet.limit);
  loadFleet().catch(fail);
});
$('fleet-next').addEventListener('click', () => {
  state.fleet.offset += state.fleet.limit;
  loadFleet().catch(fail);
});

// ------------------------------------------------------------------ identity

function facts(dl, rows) {
  dl.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: v })]));
}

const keyText = (k) => `${k.id} (generation ${k.generation})\n${k.publicKeyMultibase}`;

async function loadIdentity() {
  const id = await api('GET', '/api/identity');
  facts($('identity-summary'), [
    ['DID', id.did],
    ['Log', id.logUrl],
    ['Version', `${id.versionNumber} · ${id.versionId}`],
    ['Updated', fmtTime(id.updated)],
  ]);
  facts($('identity-keys'), [
    ['Certificate key', keyText(id.keys.certificate)],
    ['Firmware key', keyText(id.keys.firmware)],
    ['Retired certificate keys', id.keys.retiredCertificates.map((k) => k.id).join('\n') || '—'],
    ['Update keys', id.keys.updateKeys.join('\n')],
    ['Next key hashes (pre-rotation)', id.keys.nextKeyHashes.join('\n')],
  ]);
  $('identity-history').tBodies[0].replaceChildren(
    ...[...id.history].reverse().map((v) =>
      el(
        'tr',
        { dataset: { version: String(v.versionNumber) } },
        el('td', { textContent: String(v.versionNumber) }),
        el('td', { textContent: fmtTime(v.versionTime) }),
        el('td', { textContent: v.reason }),
        el('td', { className: 'mono', textContent: v.certificateKey.publicKeyMultibase }),
        el('td', { className: 'mono', textContent: v.firmwareKey.publicKeyMultibase }),
        el('td', { className: 'mono', textContent: v.updateKeys.join(' ') }),
      ),
    ),
  );
}

$('rotate-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const reason = $('rotate-reason').value.trim();
  const body = {};
  if (reason) body.reason = reason;
  if ($('rotate-revoke').checked) body.revokeCertificateKeys = true;
  $('rotate-button').disabled = true;
  try {
    const s = await api('POST', '/api/identity/rotate', body);
    notify(`Keys rotated: version ${s.versionNumber}.`, 'info');
    $('rotate-form').reset();
    await loadIdentity();
  } catch (e) {
    fail(e);
  } finally {
    $('rotate-button').disabled = false;
  }
});

// ------------------------------------------------------------------ support

async function loadThreads() {
  const { threads } = await api('GET', '/api/support/threads');
  const list = $('threads');
  list.replaceChildren(
    ...threads.map((t) => {
      const b = el(
        'button',
        { type: 'button', dataset: { threadId: t.id } },
        el('span', { textContent: t.subject }),
        el('span', { className: 'meta', textContent: `${t.status} · ${t.messages.length} message${t.messages.length === 1 ? '' : 's'} · ${t.device}` }),
      );
      if (t.id === state.thread) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', () => {
        state.thread = t.id;
        loadThreads().catch(fail);
      });
      return el('li', {}, b);
    }),
  );
  if (threads.length === 0) list.append(el('li', { className: 'empty', textContent: 'No support threads.' }));
  const current = threads.find((t) => t.id === state.thread);
  const box = $('thread');
  if (!current) return box.replaceChildren(el('p', { className: 'empty', textContent: 'Choose a thread.' }));
  const form = el('form', { id: 'reply-form' }, el('label', {}, 'Reply', el('textarea', { id: 'reply-text', rows: 3, required: true, maxLength: 4000 })), el('button', { type: 'submit', textContent: 'Send reply' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = $('reply-text').value.trim();
    if (!text) return;
    try {
      await api('POST', `/api/support/threads/${encodeURIComponent(current.id)}/reply`, { text });
      await loadThreads();
    } catch (e) {
      fail(e);
    }
  });
  box.replaceChildren(
    el('h3', { textContent: current.subject }),
    el('p', { className: 'meta mono', textContent: `${current.status} · device ${current.device}` }),
    el(
      'ol',
      { className: 'messages' },
      ...current.messages.map((m) => el('li', { className: m.from === 'manufacturer' ? 'manufacturer' : 'owner' }, el('span', { className: 'meta', textContent: `${m.from} · ${fmtTime(m.time)}` }), m.text)),
    ),
    current.status === 'open' ? form : el('p', { className: 'empty', textContent: 'This thread is closed.' }),
  );
}

// ------------------------------------------------------------------ start

api('GET', '/api/session').then(signedIn, (e) => {
  if (!(e instanceof ApiError && e.status === 401)) fail(e);
  showSignIn();
});
