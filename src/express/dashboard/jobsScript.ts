/**
 * The page's jobs list and details. Plain DOM, `textContent` only: job data never becomes markup. The Scheduled jobs
 * tab and the refresh loop follow it in the same script (scheduledScript.ts).
 */
export const JOBS_SCRIPT = `
'use strict';
const S = JSON.parse(document.getElementById('settings').textContent);
const L = S.labels;
const PAGE = 50;
/** Messages of the selected job asked for at once (the API's default page), and added by "Older messages". */
const MESSAGE_PAGE = 100;
let offset = 0;
/** The scheduled job whose runs the list shows ({ uuid, name }), set by its Runs button; null for every job. */
let runsOf = null;
let selected = location.hash.slice(1) || null;
/** The selected job's messages loaded so far, by their number (they only ever grow), and how many to show. */
let log = { uuid: null, total: 0, byNumber: new Map(), wanted: MESSAGE_PAGE };
const $ = (id) => document.getElementById(id);
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}
/** A user message with the fields 1C's СообщениеПользователю may carry, those it has, as text (escaped). */
function messageItem(message) {
  const item = el('li', when(message.date) + ' — ' + message.text);
  const fields = [['field', L.messageField], ['dataPath', L.messageDataPath], ['dataKey', L.messageDataKey], ['targetId', L.messageTargetId]];
  for (const [name, label] of fields) if (message[name] !== undefined) item.append(' ', el('small', label + ': ' + message[name], 'message-field'));
  return item;
}
function when(iso) { return iso ? new Date(iso).toLocaleString(S.lang) : ''; }
/** A duration in the page's language: 350 ms, 2.6 s, 1 min 5 s; 350 мс, 2,6 с, 1 мин 5 с. */
function duration(ms) {
  if (ms === null) return L.queued;
  if (ms < 1000) return ms + ' ' + L.milliseconds;
  const s = ms / 1000;
  if (s < 60) return s.toLocaleString(S.lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + ' ' + L.seconds;
  const whole = Math.round(s); // rounded once, so that 119.6 s is 2 min 0 s, not 1 min 60 s
  return Math.floor(whole / 60) + ' ' + L.minutes + ' ' + (whole % 60) + ' ' + L.seconds;
}
/** A progress as the page's language writes it: 100% Month 2 of 2, 35 % Месяц 1 из 3. */
function percent(progress) {
  return new Intl.NumberFormat(S.lang, { style: 'percent', maximumFractionDigits: 1 }).format(progress.percent / 100) + ' ' + progress.text;
}
function bar(progress) {
  const outer = el('div', null, 'bar');
  if (progress) {
    const inner = el('div');
    inner.style.width = Math.max(0, Math.min(100, progress.percent)) + '%';
    outer.title = percent(progress);
    outer.append(inner);
  }
  return outer;
}
async function api(path, init) {
  const response = await fetch(S.base + path, Object.assign({ credentials: 'same-origin', cache: 'no-store' }, init));
  const body = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}
/** A POST or DELETE with the CSRF token. */
function change(path, method) {
  return api(path, { method: method || 'POST', headers: { 'X-CSRF-Token': S.csrfToken } });
}
for (const value of ['', 'Active', 'Completed', 'Failed', 'Canceled']) {
  const option = el('option', value ? L[value] : L.allStates);
  option.value = value;
  $('state').append(option);
}
async function refreshList() {
  const params = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
  if ($('state').value) params.set('state', $('state').value);
  if ($('q').value.trim()) params.set('q', $('q').value.trim());
  if ($('owner').value.trim()) params.set('owner', $('owner').value.trim());
  if (runsOf) params.set('scheduledJob', runsOf.uuid);
  const page = await api('/api/jobs?' + params);
  showCounts(page.counts);
  $('runs-of').hidden = !runsOf;
  if (runsOf) $('runs-of-name').textContent = L.runsOf.replace('{name}', runsOf.name);
  // The owner column only when a job shown has one: most applications start no job for a user.
  const owners = page.jobs.some((job) => job.owner);
  $('owner-head').hidden = !owners;
  const rows = page.jobs.map((job) => {
    const row = el('tr');
    row.dataset.uuid = job.uuid;
    if (job.uuid === selected) row.className = 'selected';
    const state = el('td');
    state.append(el('span', L[job.state] || job.state, 'state ' + job.state));
    const progress = el('td');
    progress.append(bar(job.progress));
    row.append(state, el('td', job.methodName), el('td', job.key), el('td', job.description),
      el('td', when(job.begin)), el('td', when(job.end)), el('td', duration(job.durationMs)), progress);
    if (owners) row.append(el('td', job.owner));
    row.addEventListener('click', () => { selected = job.uuid; location.hash = job.uuid; refresh(); });
    return row;
  });
  if (rows.length === 0) { const row = el('tr'); const cell = el('td', L.none); cell.colSpan = owners ? 9 : 8; row.append(cell); rows.push(row); }
  $('jobs').replaceChildren(...rows);
  $('count').textContent = page.total === 0 ? '' : (page.offset + 1) + '–' + (page.offset + page.jobs.length) + ' ' + L.of + ' ' + page.total;
  $('newer').disabled = offset === 0;
  $('older').disabled = offset + PAGE >= page.total;
}
/** The header's count of jobs in each state; a click shows the jobs in that state. */
function showCounts(counts) {
  const chips = ['Active', 'Completed', 'Failed', 'Canceled'].map((state) => {
    const chip = el('button', L[state] + ' ' + counts[state], 'state ' + state);
    chip.dataset.state = state;
    chip.addEventListener('click', () => { $('state').value = state; offset = 0; refresh(); });
    return chip;
  });
  $('counts').replaceChildren(...chips);
}
function field(list, label, value) {
  if (value === null || value === undefined || value === '') return;
  list.append(el('dt', label));
  const dd = el('dd');
  if (value instanceof Node) dd.append(value); else dd.textContent = String(value);
  list.append(dd);
}
/** Keeps a page of messages; the first one's number follows from the total and the offset. */
function remember(job) {
  if (log.uuid !== job.uuid || job.messagesTotal < log.total) log = { uuid: job.uuid, total: 0, byNumber: new Map(), wanted: MESSAGE_PAGE };
  const first = job.messagesTotal - job.messagesOffset - job.messages.length;
  job.messages.forEach((message, index) => log.byNumber.set(first + index, message));
  log.total = Math.max(log.total, job.messagesTotal);
}
/** Loads the newest page of the job, then whatever of the newest log.wanted messages is still missing. */
async function loadJob(uuid) {
  const path = '/api/jobs/' + encodeURIComponent(uuid);
  const job = await api(path);
  remember(job);
  const from = Math.max(0, log.total - log.wanted);
  for (const number of log.byNumber.keys()) if (number < from) log.byNumber.delete(number);
  for (let tries = 0; tries < 10; tries += 1) {
    let last = log.total - 1;
    while (last >= from && log.byNumber.has(last)) last -= 1;
    if (last < from) break;
    const limit = Math.min(1000, last - from + 1);
    remember(await api(path + '?messagesOffset=' + (log.total - 1 - last) + '&messagesLimit=' + limit));
  }
  return job;
}
async function refreshDetails() {
  const panel = $('details');
  if (!selected) { panel.hidden = true; return; }
  const uuid = selected;
  let job;
  try { job = await loadJob(uuid); } catch { if (selected === uuid) { selected = null; panel.hidden = true; } return; }
  if (selected !== uuid) return; // closed, or another job chosen, while it loaded: that refresh draws the panel
  const list = el('dl');
  field(list, L.uuid, job.uuid);
  const state = el('span', L[job.state] || job.state, 'state ' + job.state);
  state.id = 'detail-state';
  field(list, L.state, state);
  field(list, L.method, job.methodName);
  field(list, L.key, job.key);
  field(list, L.description, job.description);
  field(list, L.scheduledJob, job.scheduledJob);
  field(list, L.userName, job.userName);
  field(list, L.owner, job.owner);
  field(list, L.begin, when(job.begin));
  field(list, L.end, when(job.end));
  field(list, L.duration, duration(job.durationMs));
  if (job.progress) field(list, L.progress, percent(job.progress));
  const parts = [el('h2', job.description || job.methodName), list];
  if (job.progress) parts.push(bar(job.progress));
  if (log.total > 0) {
    const from = Math.max(0, log.total - log.wanted);
    const shown = [];
    for (let number = from; number < log.total; number += 1) if (log.byNumber.has(number)) shown.push(log.byNumber.get(number));
    const heading = el('h3', L.messages + ' ');
    const count = el('small', L.shownOf.replace('{shown}', shown.length).replace('{total}', log.total));
    count.id = 'messages-count';
    heading.append(count);
    parts.push(heading);
    if (from > 0) {
      const older = el('button', L.olderMessages);
      older.id = 'older-messages';
      older.addEventListener('click', () => { log.wanted += MESSAGE_PAGE; refresh(); });
      parts.push(older);
    }
    const messages = el('ul');
    messages.id = 'messages';
    for (const message of shown) messages.append(messageItem(message));
    parts.push(messages);
  }
  if (job.state === 'Completed' && job.result !== null) { parts.push(el('h3', L.result), el('pre', JSON.stringify(job.result, null, 2))); }
  if (job.errorInfo) {
    const info = el('dl');
    field(info, L.errorDescription, job.errorInfo.description);
    field(info, L.module, job.errorInfo.moduleName);
    field(info, L.line, job.errorInfo.lineNumber || '');
    field(info, L.sourceLine, job.errorInfo.sourceLine);
    parts.push(el('h3', L.error), info, el('pre', job.errorInfo.detailedDescription), el('h3', L.stack), el('pre', job.errorInfo.stack));
  }
  const buttons = el('div', null, 'actions');
  const path = '/api/jobs/' + encodeURIComponent(job.uuid);
  if (!S.readOnly) {
    if (job.state === 'Active') buttons.append(action('cancel', L.cancel, () => change(path + '/cancel')));
    buttons.append(action('run-again', L.runAgain, async () => {
      const again = await change(path + '/run-again');
      selected = again.uuid;
      location.hash = again.uuid;
    }));
    if (job.state !== 'Active') buttons.append(action('delete', L.delete, async () => {
      await change(path, 'DELETE');
      selected = null;
      history.replaceState(null, '', location.pathname + location.search);
    }));
  }
  const close = el('button', L.close);
  close.addEventListener('click', () => { selected = null; history.replaceState(null, '', location.pathname + location.search); refresh(); });
  buttons.append(close);
  parts.push(buttons, actionError);
  panel.replaceChildren(...parts);
  panel.hidden = false;
}
/** Why the last action failed (a key conflict, a job still active…), until the next one; kept across refreshes. */
const actionError = el('p', null, 'error');
actionError.id = 'action-error';
/** A button that acts, then refreshes the page; what it failed with is shown, not thrown. */
function action(id, label, act) {
  const button = el('button', label);
  button.id = id;
  button.addEventListener('click', async () => {
    actionError.textContent = '';
    try { await act(); } catch (error) { actionError.textContent = String(error.message || error); }
    refresh();
  });
  return button;
}
for (const input of ['q', 'owner']) $(input).addEventListener('input', () => { offset = 0; refresh(); });
$('state').addEventListener('change', () => { offset = 0; refresh(); });
$('all-jobs').addEventListener('click', () => { runsOf = null; offset = 0; refresh(); });
$('newer').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); refresh(); });
$('older').addEventListener('click', () => { offset += PAGE; refresh(); });
`;
