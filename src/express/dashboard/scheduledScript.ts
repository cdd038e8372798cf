/**
 * The page's Scheduled jobs tab (1C: РегламентныеЗадания), the tabs, and the refresh loop of the whole page. It runs
 * after jobsScript.ts, in the same script, and uses its helpers (`el`, `api`, `change`, `action`, `when`…).
 */
export const SCHEDULED_SCRIPT = `
/** Which tab shows: 'jobs' or 'scheduled'; the URL's ?tab= keeps it across reloads. */
let tab = new URLSearchParams(location.search).get('tab') === 'scheduled' ? 'scheduled' : 'jobs';
function showTab(name) {
  tab = name;
  for (const [id, shown] of [['list', name === 'jobs'], ['scheduled', name === 'scheduled']]) $(id).hidden = !shown;
  $('details').hidden = name !== 'jobs' || !selected;
  for (const id of ['tab-jobs', 'tab-scheduled']) $(id).classList.toggle('current', id === 'tab-' + name);
  const query = new URLSearchParams(location.search);
  if (name === 'scheduled') query.set('tab', name); else query.delete('tab');
  history.replaceState(null, '', location.pathname + (String(query) ? '?' + query : '') + location.hash);
}
function lastRun(run) {
  const cell = el('td');
  if (!run) return cell;
  const state = el('span', L[run.state] || run.state, 'state ' + run.state);
  cell.append(state, ' ', el('span', when(run.end || run.begin)));
  return cell;
}
async function refreshScheduled() {
  const { scheduledJobs } = await api('/api/scheduled-jobs?lang=' + S.lang);
  const rows = scheduledJobs.map((job) => {
    const row = el('tr');
    row.dataset.uuid = job.uuid;
    const name = el('td', job.name);
    if (job.predefined) name.append(' ', el('small', L.predefined));
    const use = el('input');
    use.type = 'checkbox';
    use.className = 'use';
    use.checked = job.use;
    use.disabled = S.readOnly;
    use.setAttribute('aria-label', L.use + ' ' + job.name);
    const path = '/api/scheduled-jobs/' + encodeURIComponent(job.uuid);
    use.addEventListener('change', async () => {
      try {
        await api(path + '/use', { method: 'POST', headers: { 'X-CSRF-Token': S.csrfToken, 'Content-Type': 'application/json' }, body: JSON.stringify({ use: use.checked }) });
      } catch (error) { $('scheduled-error').textContent = String(error.message || error); }
      refresh();
    });
    const useCell = el('td');
    useCell.append(use);
    const buttons = el('td', null, 'actions');
    if (!S.readOnly) {
      const run = el('button', L.runNow, 'run-now');
      run.addEventListener('click', async () => {
        $('scheduled-error').textContent = '';
        try { await change(path + '/run'); } catch (error) { $('scheduled-error').textContent = String(error.message || error); }
        refresh();
      });
      buttons.append(run, ' ');
    }
    const runs = el('button', L.runs, 'runs');
    runs.addEventListener('click', () => { runsOf = { uuid: job.uuid, name: job.name }; offset = 0; showTab('jobs'); refresh(); });
    buttons.append(runs);
    row.append(name, el('td', job.methodName), el('td', job.schedule), useCell, el('td', when(job.nextRun)), lastRun(job.lastRun), buttons);
    return row;
  });
  if (rows.length === 0) { const row = el('tr'); const cell = el('td', L.noScheduledJobs); cell.colSpan = 7; row.append(cell); rows.push(row); }
  $('scheduled-jobs').replaceChildren(...rows);
}
let timer;
async function refresh() {
  clearTimeout(timer);
  try {
    // The header's counts come with the jobs list; the Scheduled jobs tab asks for them alone.
    const counts = async () => showCounts((await api('/api/jobs?limit=1')).counts);
    await Promise.all(tab === 'scheduled' ? [refreshScheduled(), counts()] : [refreshList(), refreshDetails()]);
    $('updated').textContent = L.updated + ' ' + new Date().toLocaleTimeString(S.lang);
  } catch (error) {
    $('updated').textContent = String(error.message || error);
  } finally {
    timer = setTimeout(refresh, S.pollMs);
  }
}
$('tab-jobs').addEventListener('click', () => { showTab('jobs'); refresh(); });
$('tab-scheduled').addEventListener('click', () => { showTab('scheduled'); refresh(); });
showTab(tab);
refresh();
`;
