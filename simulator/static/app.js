// The simulator dashboard: polls GET /api/devices, draws one card per device,
// presses the devices' buttons through POST /api/devices/:index/actions/:action.
// No inline code anywhere (CSP script-src 'self'); text goes in with textContent only.

const $ = (root, sel) => root.querySelector(sel);
const cards = new Map();
const openAudits = new Set();

function notice(text) {
  const n = document.getElementById('notice');
  n.textContent = text;
  n.hidden = !text;
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error ? `${data.error.code}: ${data.error.message}` : `HTTP ${res.status}`);
  return data;
}

function badge(el, text, tone) {
  el.textContent = text;
  el.className = `badge ${el.classList[1]} ${tone}`.trim();
}

function cardFor(d) {
  let card = cards.get(d.index);
  if (card) return card;
  card = document.getElementById('device-card').content.firstElementChild.cloneNode(true);
  card.dataset.index = String(d.index);
  for (const b of card.querySelectorAll('button[data-action]')) {
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await api('POST', `/api/devices/${d.index}/actions/${b.dataset.action}`, {});
        notice('');
      } catch (e) {
        notice(String(e.message));
      } finally {
        b.disabled = false;
        refresh();
      }
    });
  }
  const details = $(card, '.audit');
  details.addEventListener('toggle', () => {
    if (details.open) openAudits.add(d.index);
    else openAudits.delete(d.index);
    if (details.open) loadAudit(d.index, card);
  });
  document.getElementById('devices').append(card);
  cards.set(d.index, card);
  return card;
}

async function loadAudit(index, card) {
  const list = $(card, '.audit-list');
  try {
    const { entries } = await api('GET', `/api/devices/${index}/audit`);
    list.replaceChildren(
      ...entries.map((e) => {
        const li = document.createElement('li');
        li.textContent = `${new Date(e.time * 1000).toLocaleTimeString()} ${e.event}${e.detail ? ` — ${e.detail}` : ''}`;
        return li;
      }),
    );
    if (entries.length === 0) list.replaceChildren(Object.assign(document.createElement('li'), { textContent: 'no entries' }));
  } catch (e) {
    list.replaceChildren(Object.assign(document.createElement('li'), { textContent: String(e.message) }));
  }
}

function draw(d) {
  const card = cardFor(d);
  $(card, '.serial').textContent = `#${d.index} ${d.serial}`;
  badge($(card, '.lifecycle'), d.lifecycle, d.lifecycle === 'owned' ? 'ok' : d.lifecycle === 'unowned' ? 'warn' : '');
  badge($(card, '.power'), `power ${d.power}`, d.power === 'on' ? 'ok' : 'bad');
  badge($(card, '.network'), `network ${d.network}`, d.network === 'up' ? 'ok' : 'bad');
  badge($(card, '.broker'), `broker ${d.broker}`, d.broker === 'connected' ? 'ok' : d.broker === 'connecting' ? 'warn' : 'bad');
  $(card, '.did').textContent = d.did;
  const owner = $(card, '.owner');
  owner.textContent = d.owner ? d.owner.short : '—';
  owner.title = d.owner ? d.owner.did : '';
  $(card, '.window').textContent = d.window ? `${d.window.kind} until ${new Date(d.window.expiresAt).toLocaleTimeString()} (${d.window.attempts} failed)` : 'closed';
  $(card, '.firmware').textContent = `slot ${d.firmware.slot}${d.firmware.trial ? ' (trial)' : ''}, sequence ${d.firmware.sequence ?? 'factory'}`;
  const bar = $(card, '.update-bar');
  if (d.update) {
    $(card, '.update-text').textContent = `${d.update.phase} #${d.update.sequence} ${d.update.received}/${d.update.size} B${d.update.corrupted ? ' (corrupted)' : ''}`;
    bar.max = d.update.size || 1;
    bar.value = Math.min(d.update.received, d.update.size);
    bar.hidden = false;
  } else {
    $(card, '.update-text').textContent = d.faults.corruptNextDownloads > 0 ? `none (next ${d.faults.corruptNextDownloads} download(s) corrupted)` : 'none';
    bar.hidden = true;
  }
  $(card, '.grinder').textContent = d.grinder ? `${d.grinder.cycles} cups, ${d.grinder.grams} g, hopper ${d.grinder.hopperGrams} g, motor ${d.grinder.motorC} °C${d.grinder.active.length ? `, ${d.grinder.active.join(', ')}` : ''}` : '—';
  $(card, '.boots').textContent = String(d.boots);
  const qr = $(card, '.qr');
  const link = $(card, '.label-link');
  if (d.label) {
    const src = `/api/devices/${d.index}/qr.svg?u=${encodeURIComponent(d.label.manualCode)}`;
    if (qr.getAttribute('src') !== src) qr.src = src;
    qr.hidden = false;
    link.href = d.label.link;
    link.hidden = false;
    $(card, '.manual-code').textContent = d.label.manualCode;
  } else {
    qr.hidden = true;
    link.hidden = true;
    $(card, '.manual-code').textContent = '';
  }
  if (openAudits.has(d.index)) loadAudit(d.index, card);
}

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const { engine, devices } = await api('GET', '/api/devices');
    for (const d of devices) draw(d);
    const owned = devices.filter((d) => d.lifecycle === 'owned').length;
    const connected = devices.filter((d) => d.broker === 'connected').length;
    document.getElementById('summary').textContent = `${devices.length} devices (${engine}) · ${owned} owned · ${connected} on the broker`;
  } catch (e) {
    notice(String(e.message));
  } finally {
    busy = false;
  }
}

refresh();
setInterval(refresh, 1500);
