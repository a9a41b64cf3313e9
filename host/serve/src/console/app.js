// The isobox console: pending approvals and run history over /v1/runs.
// Everything shown comes from user code, so the DOM is built with
// createElement and textContent only. The API key lives in this tab's
// sessionStorage and nowhere else; it is never shown.
'use strict';

(() => {
  const KEY_SLOT = 'isobox.console.key';
  const NAME_SLOT = 'isobox.console.approver';
  const REFRESH_MS = 5000;
  const PAGE = 50;

  const $ = (id) => document.getElementById(id);
  const ui = {
    signin: $('signin'), form: $('key-form'), key: $('key'), console: $('console'), signOut: $('sign-out'),
    error: $('error'), tabs: { pending: $('tab-pending'), history: $('tab-history') },
    views: { pending: $('view-pending'), history: $('view-history') }, refresh: $('refresh'),
    approver: $('approver'), auto: $('auto'), pendingList: $('pending-list'), pendingEmpty: $('pending-empty'),
    pendingCount: $('pending-count'), historyBody: $('history-body'), historyEmpty: $('history-empty'),
    loadMore: $('load-more'), detail: $('run-detail'),
  };

  let key = null;
  let tab = 'pending';
  let nextBefore = null;
  let historyGeneration = 0;
  let detailGeneration = 0;
  let pendingBusy = false;
  let pendingAgain = false;
  const cards = new Map(); // run id -> { el, updated, gates, result, decided }

  // ---- DOM helpers --------------------------------------------------------

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'class') el.className = value;
      else if (name === 'text') el.textContent = String(value);
      else if (name === 'testid') el.dataset.testid = value;
      else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  function pretty(value) {
    if (value === undefined) return '(none)';
    try {
      return JSON.stringify(value, null, 2);
    } catch {
      return String(value);
    }
  }

  function when(ms) {
    if (typeof ms !== 'number') return '';
    const d = new Date(ms);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }

  function timeEl(ms) {
    return h('time', { datetime: typeof ms === 'number' ? new Date(ms).toISOString() : null, text: when(ms) });
  }

  function duration(us) {
    if (typeof us !== 'number') return '';
    if (us < 1000) return `${us} µs`;
    if (us < 1e6) return `${(us / 1000).toFixed(1)} ms`;
    return `${(us / 1e6).toFixed(2)} s`;
  }

  function bytes(n) {
    if (typeof n !== 'number') return '';
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  function badge(status) {
    return h('span', { class: `badge status-${String(status).replace(/[^a-z-]/g, '')}`, text: status });
  }

  function decisionText(decision) {
    if (!decision) return 'undecided';
    const by = decision.by ? ` by ${decision.by}` : ' (no name given)';
    if (decision.decision === 'rejected') return `rejected${by}${decision.reason ? `: ${decision.reason}` : ''}`;
    return `${decision.decision}${by}`;
  }

  function showError(error) {
    if (!error || error.handled) return;
    ui.error.textContent = error.message || String(error);
    ui.error.hidden = false;
  }

  function clearError() {
    ui.error.hidden = true;
    ui.error.textContent = '';
  }

  // ---- API ----------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(status ? `${message} (${status}${code ? ` ${code}` : ''})` : message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body) {
    const used = key;
    const gone = () => Object.assign(new Error('signed out'), { handled: true });
    if (!used) throw gone();
    const headers = { Authorization: `Bearer ${used}`, Accept: 'application/json' };
    const init = { method, headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      throw new ApiError(0, 'network', `The server could not be reached: ${error.message}`);
    }
    const text = await response.text();
    if (key !== used) throw gone();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (response.status === 401) {
      signOut('The server refused this API key (401 unauthorized). Paste a valid key to sign in again.');
      throw Object.assign(new Error('unauthorized'), { handled: true, status: 401 });
    }
    if (!response.ok) {
      const e = data && data.error;
      if (e && e.code === 'history-off') {
        throw new ApiError(404, e.code, 'This server keeps no runs: its config needs [runs] history = true');
      }
      throw new ApiError(response.status, e && e.code, (e && e.message) || response.statusText || 'request failed');
    }
    return { status: response.status, data };
  }

  const runPath = (id) => `/v1/runs/${encodeURIComponent(id)}`;

  // ---- sign in / out --------------------------------------------------------

  function signIn(value) {
    key = value;
    sessionStorage.setItem(KEY_SLOT, value);
    ui.key.value = '';
    ui.signin.hidden = true;
    ui.console.hidden = false;
    ui.signOut.hidden = false;
    select(tab);
  }

  function signOut(message) {
    key = null;
    sessionStorage.removeItem(KEY_SLOT);
    cards.clear();
    ui.pendingList.replaceChildren();
    ui.historyBody.replaceChildren();
    nextBefore = null;
    ui.loadMore.hidden = true;
    ui.pendingEmpty.hidden = true;
    ui.historyEmpty.hidden = true;
    ui.detail.replaceChildren();
    ui.detail.hidden = true;
    ui.pendingCount.textContent = '';
    ui.console.hidden = true;
    ui.signOut.hidden = true;
    ui.signin.hidden = false;
    clearError();
    if (message) showError(new Error(message));
    ui.key.focus();
  }

  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = ui.key.value.trim();
    if (!/^[\x21-\x7e]+$/.test(value)) {
      showError(new Error(value ? 'An API key is printable ASCII without spaces.' : 'Paste an API key first.'));
      ui.key.focus();
      return;
    }
    clearError();
    signIn(value);
  });

  ui.signOut.addEventListener('click', () => signOut());

  // ---- tabs -------------------------------------------------------------------

  function select(name) {
    tab = name;
    for (const [which, button] of Object.entries(ui.tabs)) {
      const on = which === name;
      button.setAttribute('aria-selected', String(on));
      button.tabIndex = on ? 0 : -1;
      ui.views[which].hidden = !on;
    }
    refresh(true);
  }

  for (const [which, button] of Object.entries(ui.tabs)) {
    button.addEventListener('click', () => select(which));
    button.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
      const other = which === 'pending' ? 'history' : 'pending';
      select(other);
      ui.tabs[other].focus();
    });
  }

  function refresh(explicit) {
    if (!key) return;
    if (explicit) clearError();
    if (tab === 'pending') loadPending().catch(showError);
    else loadHistory(false).catch(showError);
  }

  ui.refresh.addEventListener('click', () => refresh(true));

  // ---- pending approvals --------------------------------------------------

  function gateArguments(gate) {
    if (gate && gate.kind === 'call') return gate.arguments;
    const rest = { ...gate };
    delete rest.id;
    delete rest.kind;
    delete rest.args;
    return rest;
  }

  function gateList(gates) {
    return h('ol', { class: 'gates' }, gates.map((g) =>
      h('li', { testid: 'gate', 'data-gate-id': g.gate && g.gate.id },
        h('code', { class: 'describe', testid: 'gate-describe', text: g.describe }),
        h('span', { class: 'muted', text: g.gate && g.gate.kind === 'fetch' ? ' egress' : ' capability call' }),
        g.decision ? h('span', { class: 'decision' }, ' — ', h('span', { testid: 'gate-decision', text: decisionText(g.decision) })) : null,
        h('div', { class: 'label', text: g.gate && g.gate.kind === 'call' ? 'Arguments' : 'Request' }),
        h('pre', { testid: 'gate-arguments', text: pretty(gateArguments(g.gate)) }))));
  }

  function newCard(run) {
    const id = run.id;
    const reason = h('input', { type: 'text', testid: 'reject-reason', id: `reason-${id}`, maxlength: 1000, placeholder: 'why not' });
    const result = h('p', { class: 'result', testid: 'decision-result', role: 'status' });
    const gates = h('div', { class: 'gate-box' }, h('p', { class: 'muted', text: 'Loading its gates…' }));
    const code = h('pre', { class: 'code', testid: 'pending-code' });
    const intro = h('p', { class: 'muted', text: 'Waiting for approval of:' });
    const approve = h('button', { type: 'button', testid: 'approve', text: 'Approve' });
    const reject = h('button', { type: 'button', class: 'danger', testid: 'reject', text: 'Reject' });
    const actions = h('div', { class: 'actions' }, approve,
      h('label', { for: `reason-${id}`, text: 'Reason' }), reason, reject);
    const el = h('article', { class: 'card', testid: 'pending-run', 'data-run-id': id, 'aria-label': `Run ${id}` },
      h('header', { class: 'card-head' },
        h('h3', {}, 'Run ', h('code', { text: id })), timeEl(run.created_ms)),
      intro,
      gates,
      h('details', {}, h('summary', { text: 'Code' }), code),
      actions, result);
    const card = { el, intro, gates, code, result, actions, approve, reject, reason, updated: null, decided: false };
    approve.addEventListener('click', () => decide(id, card, 'approve'));
    reject.addEventListener('click', () => {
      if (!reason.value.trim()) {
        setResult(card, 'needs-reason', 'Give a reason to reject the run.');
        reason.focus();
        return;
      }
      decide(id, card, 'reject');
    });
    return card;
  }

  function setResult(card, status, text) {
    card.result.dataset.status = status;
    card.result.className = `result status-${status}`;
    card.result.textContent = text;
  }

  async function fillCard(card, run) {
    if (card.updated === run.updated_ms) return;
    card.updated = run.updated_ms;
    const { data } = await api('GET', runPath(run.id));
    const open = (data.gates || []).filter((g) => !g.decision);
    card.gates.replaceChildren(gateList(open.length ? open : data.gates || []));
    const request = data.request || {};
    card.code.textContent = typeof request.code === 'string' ? request.code : pretty(request);
  }

  async function loadPending() {
    if (pendingBusy) {
      pendingAgain = true;
      return;
    }
    pendingBusy = true;
    try {
      const { data } = await api('GET', `/v1/runs?status=pending-approval&limit=${PAGE}`);
      const runs = (data && data.runs) || [];
      const seen = new Set();
      const order = [];
      for (const run of runs) {
        seen.add(run.id);
        let card = cards.get(run.id);
        if (!card) {
          card = newCard(run);
          cards.set(run.id, card);
        }
        card.decided = false;
        card.el.classList.remove('decided');
        card.actions.hidden = false;
        card.intro.textContent = 'Waiting for approval of:';
        order.push(card);
      }
      // Runs decided here stay shown, on top, with what came of them.
      const decided = [];
      for (const [id, card] of cards) {
        if (seen.has(id)) continue;
        const status = card.result.dataset.status;
        if (status === 'working') {
          decided.push(card);
        } else if (status && status !== 'needs-reason') {
          card.decided = true;
          card.el.classList.add('decided');
          card.actions.hidden = true;
          card.intro.textContent = 'No longer waiting. It was waiting for:';
          decided.push(card);
        } else {
          cards.delete(id);
        }
      }
      ui.pendingList.replaceChildren(...decided.map((c) => c.el), ...order.map((c) => c.el));
      ui.pendingEmpty.hidden = runs.length > 0;
      ui.pendingCount.textContent = runs.length ? String(runs.length) : '';
      await Promise.all(runs.map((run) => fillCard(cards.get(run.id), run).catch((error) => {
        cards.get(run.id).updated = null;
        showError(error);
      })));
    } finally {
      pendingBusy = false;
      if (pendingAgain) {
        pendingAgain = false;
        loadPending().catch(showError);
      }
    }
  }

  async function decide(id, card, action) {
    clearError();
    const by = ui.approver.value.trim();
    const body = by ? { by } : {};
    if (action === 'reject') body.reason = card.reason.value.trim();
    card.approve.disabled = true;
    card.reject.disabled = true;
    setResult(card, 'working', action === 'approve' ? 'Approving and resuming the run…' : 'Rejecting and resuming the run…');
    const verb = action === 'approve' ? 'Approved' : 'Rejected';
    try {
      const { status, data } = await api('POST', `${runPath(id)}/${action}`, body);
      const state = data.status || (status === 202 ? 'pending-approval' : data.ok ? 'ok' : 'error');
      if (state === 'pending-approval') {
        setResult(card, 'pending-approval', `${verb}. The run paused again: ${(data.error && data.error.message) || 'at another gate'}.`);
      } else if (state === 'ok') {
        setResult(card, 'ok', `${verb}. The run finished: ok. Result: ${pretty(data.value)}`);
      } else {
        const e = data.error || {};
        setResult(card, 'error', `${verb}. The run finished with an error: ${e.kind || 'error'}: ${e.message || ''}`);
      }
    } catch (error) {
      if (error.handled) return;
      setResult(card, error.status === 409 ? 'conflict' : 'failed',
        error.status === 409 ? `Not decided here: ${error.message}` : `The decision failed: ${error.message}`);
    } finally {
      card.approve.disabled = false;
      card.reject.disabled = false;
    }
    card.updated = null;
    loadPending().catch(showError);
  }

  ui.approver.value = sessionStorage.getItem(NAME_SLOT) || '';
  ui.approver.addEventListener('input', () => sessionStorage.setItem(NAME_SLOT, ui.approver.value));

  setInterval(() => {
    if (key && tab === 'pending' && ui.auto.checked && document.visibilityState === 'visible') {
      loadPending().catch(showError);
    }
  }, REFRESH_MS);

  // ---- history --------------------------------------------------------------

  function historyRow(run) {
    const s = run.summary || {};
    const note = s.pending && s.pending.length ? `waiting for ${s.pending.join(', ')}` : s.message || '';
    const open = h('button', { type: 'button', class: 'link', testid: 'open-run', text: run.id, 'aria-label': `Open run ${run.id}` });
    const row = h('tr', { testid: 'history-row', 'data-run-id': run.id, 'data-status': run.status, class: 'clickable' },
      h('td', { class: 'when' }, timeEl(run.created_ms)),
      h('td', {}, open),
      h('td', {}, badge(run.status)),
      h('td', { class: 'num', text: duration(s.wall_time_us) }),
      h('td', { class: 'num', text: s.calls ?? '' }),
      h('td', { class: 'num', text: s.egress ?? '' }),
      h('td', { class: 'note', text: note }));
    row.addEventListener('click', () => openRun(run.id));
    return row;
  }

  async function loadHistory(more) {
    const generation = ++historyGeneration;
    const before = more && nextBefore !== null ? `&before=${encodeURIComponent(nextBefore)}` : '';
    ui.loadMore.disabled = true;
    try {
      const { data } = await api('GET', `/v1/runs?limit=${PAGE}${before}`);
      if (generation !== historyGeneration) return;
      const rows = ((data && data.runs) || []).map(historyRow);
      if (more) ui.historyBody.append(...rows);
      else ui.historyBody.replaceChildren(...rows);
      nextBefore = data && typeof data.next_before === 'number' ? data.next_before : null;
      ui.loadMore.hidden = nextBefore === null;
      ui.historyEmpty.hidden = ui.historyBody.children.length > 0;
    } finally {
      ui.loadMore.disabled = false;
    }
  }

  ui.loadMore.addEventListener('click', () => {
    clearError();
    loadHistory(true).catch(showError);
  });

  function section(title, ...content) {
    return h('section', { class: 'part' }, h('h3', { text: title }), ...content);
  }

  function table(testid, columns, rows) {
    if (!rows || !rows.length) return h('p', { class: 'muted', testid, text: 'None.' });
    return h('div', { class: 'table-wrap' }, h('table', { testid },
      h('thead', {}, h('tr', {}, columns.map(([label, , cls]) => h('th', { scope: 'col', class: cls, text: label })))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map(([, get, cls]) => h('td', { class: cls, text: get(r) ?? '' })))))));
  }

  function outcomeView(outcome, testid, labelled) {
    if (!outcome) return h('p', { class: 'muted', testid, text: 'No outcome recorded.' });
    if (outcome.ok) {
      return h('div', { testid, 'data-ok': 'true' }, labelled ? h('div', { class: 'label', text: 'Result' }) : null,
        h('pre', { testid: `${testid}-value`, text: pretty(outcome.value) }));
    }
    const e = outcome.error || {};
    return h('div', { testid, 'data-ok': 'false', class: 'failure' },
      h('p', {}, h('strong', { text: `${e.kind || 'error'}` }), e.phase ? ` in ${e.phase}` : '',
        e.name ? ` — ${e.name}` : '', ': ', e.message || ''),
      e.stack ? h('pre', { class: 'stack', text: e.stack }) : null);
  }

  function logsView(logs) {
    const entries = (logs && logs.entries) || [];
    if (!entries.length) return h('p', { class: 'muted', testid: 'detail-logs', text: 'No console output.' });
    return h('div', {}, h('ol', { class: 'logs', testid: 'detail-logs' }, entries.map((e) =>
      h('li', { class: `log-${String(e.level).replace(/[^a-z]/g, '')}` },
        h('span', { class: 'level', text: e.level }), h('span', { class: 'message', text: e.message })))),
      logs.truncated ? h('p', { class: 'muted', text: 'The log was truncated.' }) : null);
  }

  function renderDetail(run) {
    const o = run.outcome;
    const req = run.request || {};
    const j = run.journal;
    const replayResult = h('div', { class: 'replay-result', testid: 'replay-result', role: 'status' });
    const replay = h('button', { type: 'button', testid: 'replay', text: 'Replay' });
    replay.addEventListener('click', async () => {
      clearError();
      replay.disabled = true;
      replayResult.removeAttribute('data-same');
      replayResult.replaceChildren(h('p', { class: 'muted', text: 'Replaying from the journal…' }));
      try {
        const { data } = await api('POST', `${runPath(run.id)}/replay`, {});
        replayResult.dataset.same = String(Boolean(data.same));
        replayResult.replaceChildren(
          h('p', { class: data.same ? 'same' : 'differs' }, h('strong', { text: data.same ? 'Same outcome' : 'Differs' }),
            data.same ? ': the replay gave the recorded result and console lines.' : ': the replay did not give the recorded result or console lines.'),
          outcomeView(data.outcome, 'replay-outcome', true),
          data.outcome ? logsView(data.outcome.logs) : null);
      } catch (error) {
        if (!error.handled) replayResult.replaceChildren(h('p', { class: 'failure', text: `The replay failed: ${error.message}` }));
      } finally {
        replay.disabled = false;
      }
    });
    const close = h('button', { type: 'button', class: 'secondary', testid: 'close-detail', text: 'Close' });
    close.addEventListener('click', () => {
      ui.detail.hidden = true;
      ui.detail.replaceChildren();
    });
    const meta = h('dl', { class: 'meta' },
      h('dt', { text: 'Status' }), h('dd', {}, h('span', { testid: 'detail-status', text: run.status })),
      h('dt', { text: 'Created' }), h('dd', {}, timeEl(run.created_ms)),
      h('dt', { text: 'Updated' }), h('dd', {}, timeEl(run.updated_ms)),
      h('dt', { text: 'Code SHA-256' }), h('dd', {}, h('code', { text: run.code_sha256 || '' })),
      h('dt', { text: 'Capabilities' }), h('dd', { text: Array.isArray(req.capabilities) ? req.capabilities.join(', ') || 'none' : 'none' }),
      req.egress !== undefined ? h('dt', { text: 'Egress policy' }) : null,
      req.egress !== undefined ? h('dd', {}, h('code', { text: typeof req.egress === 'string' ? req.egress : JSON.stringify(req.egress) })) : null,
      o && o.stats ? h('dt', { text: 'Wall time' }) : null,
      o && o.stats ? h('dd', { text: duration(o.stats.wall_time_us) }) : null);
    ui.detail.dataset.runId = run.id;
    ui.detail.dataset.status = run.status;
    ui.detail.replaceChildren(
      h('header', { class: 'card-head' }, h('h2', {}, 'Run ', h('code', { text: run.id }), ' ', badge(run.status)), close),
      meta,
      section('Code', h('pre', { class: 'code', testid: 'detail-code', text: typeof req.code === 'string' ? req.code : pretty(req.modules ?? req) })),
      section('Input', h('pre', { testid: 'detail-input', text: pretty(req.input) })),
      section(o && o.ok ? 'Result' : 'Error', outcomeView(o, 'detail-result')),
      section('Console', logsView(o && o.logs)),
      section('Capability calls', table('detail-calls', [
        ['Binding', (c) => c.binding], ['Method', (c) => c.method], ['Time', (c) => duration(c.duration_us), 'num'],
        ['OK', (c) => (c.ok ? 'yes' : 'no')], ['Error', (c) => c.error]], o && o.calls)),
      section('Egress', table('detail-egress', [
        ['Method', (e) => e.method], ['URL', (e) => e.url, 'url'], ['Decision', (e) => e.decision + (e.rule ? ` (${e.rule})` : '')],
        ['Status', (e) => e.status], ['Sent', (e) => bytes(e.request_bytes), 'num'], ['Received', (e) => bytes(e.response_bytes), 'num'],
        ['Reason', (e) => e.reason]], o && o.egress)),
      section('Gates', run.gates && run.gates.length ? gateList(run.gates) : h('p', { class: 'muted', text: 'No gates.' })),
      section('Journal', j ? h('p', { testid: 'detail-journal' },
        `${j.entries} entries, ${j.responses} responses${j.paused ? ', paused' : ''}; engine `, h('code', { text: j.engine || '' }))
        : h('p', { class: 'muted', text: 'No journal.' })),
      section('Replay', h('p', { class: 'muted', text: 'Runs the code again offline from its journal and compares the outcome.' }), replay, replayResult));
  }

  async function openRun(id) {
    const generation = ++detailGeneration;
    clearError();
    ui.detail.hidden = false;
    ui.detail.dataset.runId = id;
    delete ui.detail.dataset.status;
    ui.detail.replaceChildren(h('p', { class: 'muted', text: 'Loading the run…' }));
    for (const row of ui.historyBody.children) row.classList.toggle('selected', row.dataset.runId === id);
    try {
      const { data } = await api('GET', runPath(id));
      if (generation !== detailGeneration) return;
      renderDetail(data);
      ui.detail.focus();
    } catch (error) {
      if (generation === detailGeneration && !error.handled) {
        ui.detail.replaceChildren(h('p', { class: 'failure', text: `The run could not be loaded: ${error.message}` }));
      }
      showError(error);
    }
  }

  // ---- start ------------------------------------------------------------------

  const stored = sessionStorage.getItem(KEY_SLOT);
  if (stored) signIn(stored);
  else signOut();
})();
