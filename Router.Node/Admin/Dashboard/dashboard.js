// The router's dashboard: served by the admin endpoint at /, no libraries, no build step.
// Reads the JSON API (GET /api, /api/cluster, /api/connectors, /api/firewalls, /api/throughput) every
// few seconds and follows /api/tail (server-sent events, read with fetch so that the token travels in
// the Authorization header, never in a URL) for health transitions the moment they happen.
'use strict';

(() => {
  const TOKEN_KEY = 'router.admin.token';
  const POLL_MS = 2000;
  const WINDOW_S = 600;
  const MIN_WINDOW_S = 60;
  const MAX_EVENTS = 200;

  const state = { info: null, firewalls: [], connectors: [], cluster: null, series: null, structure: '' };
  let pollTimer = null;
  let tailAbort = null;

  class Unauthorized extends Error {}

  // A token given once as ?token=... or #token=... is kept in this tab's sessionStorage and removed
  // from the address bar (and so from history and bookmarks). #token= is preferred: a fragment never
  // reaches the server.
  function takeTokenFromUrl() {
    const url = new URL(window.location.href);
    const fromHash = new URLSearchParams(url.hash.slice(1)).get('token');
    const token = url.searchParams.get('token') ?? fromHash;
    if (token === null) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search);
  }

  function authHeaders() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    return token ? { Authorization: 'Bearer ' + token } : {};
  }

  async function api(path) {
    const response = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
    if (response.status === 401) throw new Unauthorized();
    if (!response.ok) {
      let message = response.statusText;
      try { message = (await response.json()).error; } catch { /* not JSON */ }
      throw new Error(`${path}: ${response.status} ${message}`);
    }
    return response.json();
  }

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null) continue;
      if (name === 'class') node.className = value; else node.setAttribute(name, String(value));
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  function time(value) {
    const d = new Date(value);
    return isNaN(d) ? '' : d.toLocaleTimeString([], { hour12: false });
  }

  // ---- login --------------------------------------------------------------------------------

  function showLogin(message) {
    stop();
    document.getElementById('main').hidden = true;
    document.getElementById('login').hidden = false;
    document.getElementById('forget').hidden = true;
    document.getElementById('login-error').textContent = message ?? '';
    setConnection('offline', 'token required');
    document.getElementById('token-input').focus();
  }

  function showMain() {
    document.getElementById('login').hidden = true;
    document.getElementById('main').hidden = false;
    document.getElementById('forget').hidden = !sessionStorage.getItem(TOKEN_KEY);
  }

  // ---- polling ------------------------------------------------------------------------------

  async function refresh() {
    try {
      const [info, cluster, connectors, firewalls, series] = await Promise.all([
        api('/api'), api('/api/cluster'), api('/api/connectors'), api('/api/firewalls'), api('/api/throughput')]);
      Object.assign(state, { info, cluster, connectors, firewalls, series });
      showMain();
      document.getElementById('error').hidden = true;
      render();
      document.getElementById('updated').textContent = 'updated ' + time(Date.now());
      return true;
    } catch (e) {
      if (e instanceof Unauthorized) {
        showLogin(sessionStorage.getItem(TOKEN_KEY) ? 'The node refused this token.' : '');
        return false;
      }
      const error = document.getElementById('error');
      error.textContent = String(e.message ?? e);
      error.hidden = false;
      setConnection('offline', 'node unreachable');
      return true;
    }
  }

  async function pollLoop() {
    if (!(await refresh())) return;
    pollTimer = setTimeout(pollLoop, POLL_MS);
  }

  function stop() {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
    if (tailAbort) tailAbort.abort();
    tailAbort = null;
  }

  function start() {
    stop();
    pollLoop().then(() => { if (pollTimer) tail(); });
  }

  // ---- rendering ----------------------------------------------------------------------------

  function render() {
    const { info, cluster } = state;
    document.getElementById('node').textContent = `${info.node} · ${info.address}`;
    renderConnectors();
    renderNodes(cluster);
    renderCharts();
  }

  function firewallsById() {
    const byId = new Map();
    for (const f of state.firewalls) {
      if (!byId.has(f.id)) byId.set(f.id, []);
      byId.get(f.id).push(f);
    }
    return byId;
  }

  // Tiles keep their elements across updates (only data-state and text change) unless the set of
  // connectors, firewalls or nodes changes: stable hooks for people and for tests.
  function renderConnectors() {
    const container = document.getElementById('connectors');
    const byId = firewallsById();
    const structure = JSON.stringify(state.connectors.map(c => [c.id, c.addressSpaces, c.firewalls.map(f => [f, (byId.get(f) ?? []).map(v => v.node)])]));
    if (structure !== state.structure) {
      state.structure = structure;
      container.replaceChildren(...state.connectors.map(c => el('article', { class: 'connector', 'data-connector': c.id },
        el('h3', {}, c.id, el('span', { class: 'state' }), el('span', { class: 'backlog' })),
        el('div', { class: 'spaces' }, ...c.addressSpaces.map(a => el('span', { class: 'space', title: 'address space;cost' }, a))),
        el('div', { class: 'tiles' }, ...c.firewalls.flatMap(id => {
          const views = byId.get(id) ?? [{ id, node: '', state: 'unknown' }];
          return views.map(v => el('div', { class: 'tile', 'data-firewall': id, 'data-node': v.node, 'data-connector': c.id },
            el('div', { class: 'name' }, id), el('div', { class: 'state' }), el('div', { class: 'detail' })));
        })))));
    }
    const clustered = state.cluster?.clustered;
    for (const c of state.connectors) {
      const card = container.querySelector(`[data-connector="${CSS.escape(c.id)}"].connector`);
      if (!card) continue;
      card.dataset.state = c.state;
      card.querySelector('h3 .state').textContent = c.state + (c.redirectTo ? ` → ${c.redirectTo}` : '');
      card.querySelector('h3 .backlog').textContent = `backlog ${c.backlog}`;
    }
    for (const tile of container.querySelectorAll('.tile')) {
      const view = (byId.get(tile.dataset.firewall) ?? []).find(v => v.node === tile.dataset.node);
      if (view) updateTile(tile, view, clustered);
    }
  }

  function updateTile(tile, v, clustered) {
    tile.dataset.state = v.state;
    tile.title = `${v.host ? `${v.host}:${v.port} · ` : ''}${v.state} since ${time(v.since)} · ${v.reason ?? ''}`;
    tile.querySelector('.state').textContent = v.state + (clustered ? ` · ${v.node}` : '');
    tile.querySelector('.detail').textContent = v.busy === undefined ? '' :
      `busy ${v.busy}${v.maxConnections ? `/${v.maxConnections}` : ''} · queued ${v.queued} · ✓${v.delivered} ✗${v.failed}`;
  }

  // A transition from /api/tail shows at once, before the next poll.
  function applyTransition(change) {
    const view = state.firewalls.find(f => f.id === change.firewallId && f.node === change.node);
    if (!view) return;
    Object.assign(view, { state: change.to, since: change.at, reason: change.reason });
    const clustered = state.cluster?.clustered;
    const selector = `.tile[data-firewall="${CSS.escape(change.firewallId)}"][data-node="${CSS.escape(change.node)}"]`;
    for (const tile of document.querySelectorAll(selector)) updateTile(tile, view, clustered);
  }

  function renderNodes(cluster) {
    const body = document.querySelector('#nodes tbody');
    body.replaceChildren(...cluster.members.map(m => el('tr', { 'data-member': m.address, 'data-status': m.status, 'data-reachable': m.reachable },
      el('td', {}, m.node + (m.self ? ' (this)' : '') + (m.leader ? ' ★' : '')),
      el('td', { class: 'address' }, m.address),
      el('td', {}, m.status),
      el('td', {}, m.reachable ? 'yes' : 'NO'),
      el('td', {}, m.roles.join(', ')))));
  }

  // ---- charts (inline SVG) ------------------------------------------------------------------

  const SVG = 'http://www.w3.org/2000/svg';
  const W = 600, H = 140;

  function niceMax(value) {
    if (value <= 1) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
    return 10 * power;
  }

  function svgEl(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The time axis spans the samples there are, from one minute up to the ten the node keeps.
  function windowSeconds(samples) {
    if (samples.length < 2) return MIN_WINDOW_S;
    const span = (new Date(samples[samples.length - 1].at) - new Date(samples[0].at)) / 1000;
    return Math.min(WINDOW_S, Math.max(MIN_WINDOW_S, span));
  }

  function drawChart(svg, samples, lines) {
    const now = samples.length ? new Date(samples[samples.length - 1].at).getTime() : Date.now();
    const max = niceMax(Math.max(0, ...samples.flatMap(s => lines.map(l => s[l.key]))));
    const seconds = windowSeconds(samples);
    const x = at => W - ((now - new Date(at).getTime()) / 1000) / seconds * W;
    const y = v => H - (v / max) * (H - 14);
    const children = [];
    for (const fraction of [0.5, 1]) {
      children.push(svgEl('line', { class: 'grid', x1: 0, x2: W, y1: y(max * fraction), y2: y(max * fraction) }));
      children.push(svgEl('text', { class: 'label', x: 4, y: y(max * fraction) + 11 }, String(+(max * fraction).toFixed(2))));
    }
    for (const line of lines) {
      const points = samples.filter(s => x(s.at) >= 0).map(s => `${x(s.at).toFixed(1)},${y(s[line.key]).toFixed(1)}`).join(' ');
      children.push(svgEl('polyline', { class: line.key === 'queued' ? 'queue' : line.className, points }));
    }
    svg.replaceChildren(...children);
  }

  function renderCharts() {
    const samples = state.series?.samples ?? [];
    drawChart(document.getElementById('queue-chart'), samples, [{ key: 'queued' }]);
    drawChart(document.getElementById('rate-chart'), samples, [
      { key: 'acceptedPerSecond', className: 'accepted' }, { key: 'deliveredPerSecond', className: 'delivered' }]);
    const seconds = windowSeconds(samples);
    document.getElementById('chart-window').textContent = seconds >= 120 ? `last ${Math.round(seconds / 60)} minutes` : `last ${Math.round(seconds)} seconds`;
    const last = samples[samples.length - 1];
    document.getElementById('queue-now').textContent = last ? `${last.queued} now` : '';
    document.getElementById('rate-now').textContent = last ? `${last.acceptedPerSecond} in · ${last.deliveredPerSecond} out` : '';
  }

  // ---- live events (server-sent events over fetch) ------------------------------------------

  function setConnection(value, text) {
    const node = document.getElementById('connection');
    node.dataset.connection = value;
    node.textContent = text ?? value;
  }

  function addEvent(e) {
    const list = document.getElementById('events');
    const to = e.type === 'firewall' ? e.event?.to : undefined;
    list.prepend(el('li', { 'data-type': e.type, 'data-subject': e.subject, 'data-to': to },
      el('span', { class: 'at' }, time(e.at)), el('span', { class: 'type' }, e.type), el('span', { class: 'subject' }, e.subject),
      el('span', { class: 'text' }, e.text)));
    while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
  }

  function onServerSentEvent(block) {
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data += (data ? '\n' : '') + value;
    }
    if (!data) return;
    const e = JSON.parse(data);
    addEvent(e);
    if (e.type === 'firewall' && e.event) applyTransition(e.event);
  }

  async function tail() {
    const abort = new AbortController();
    tailAbort = abort;
    while (!abort.signal.aborted) {
      try {
        const response = await fetch('/api/tail', { headers: authHeaders(), cache: 'no-store', signal: abort.signal });
        if (response.status === 401) { showLogin('The node refused this token.'); return; }
        if (!response.ok || !response.body) throw new Error(`/api/tail: ${response.status}`);
        setConnection('live', 'live');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            onServerSentEvent(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (e) {
        if (abort.signal.aborted) return;
      }
      setConnection('reconnecting', 'reconnecting');
      await new Promise(resolve => setTimeout(resolve, 2000));
    }
  }

  // ---- start --------------------------------------------------------------------------------

  document.getElementById('login-form').addEventListener('submit', event => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, document.getElementById('token-input').value.trim());
    document.getElementById('token-input').value = '';
    start();
  });
  document.getElementById('forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin('');
  });

  takeTokenFromUrl();
  start();
})();
