import { JOBS_SCRIPT } from './jobsScript';
import { SCHEDULED_SCRIPT } from './scheduledScript';
import type { Labels, Language } from './labels';

/** What the page needs from the server; everything else it fetches from the JSON API. */
export interface PageSettings {
  readonly labels: Labels;
  readonly lang: Language;
  /** The router's mount path (`req.baseUrl`), so the page works with and without a trailing slash. */
  readonly base: string;
  readonly csrfToken: string;
  readonly readOnly: boolean;
  readonly pollMs: number;
  /** The Content-Security-Policy nonce of this response's script and style. */
  readonly nonce: string;
}

/** Text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** JSON that can sit inside a `<script>` element: no `<` can close it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * The dashboard: a static shell whose script renders jobs from the JSON API with `textContent` only, so no job
 * field is ever parsed as HTML, and refreshes them every `pollMs`.
 */
export function dashboardPage(settings: PageSettings): string {
  const { labels, lang, nonce } = settings;
  const other = lang === 'ru' ? 'en' : 'ru';
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(labels.title)}</title>
<style nonce="${nonce}">
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f5f6f8; }
  header { display: flex; gap: 12px; align-items: center; padding: 12px 20px; background: #24324a; color: #fff; }
  header h1 { font-size: 18px; margin: 0 auto 0 0; }
  header a { color: #cfe0ff; }
  main { display: flex; gap: 16px; padding: 16px 20px; align-items: flex-start; }
  #list { flex: 3; min-width: 0; overflow-x: auto; }
  #details { flex: 1.6; min-width: 0; background: #fff; border: 1px solid #d6dae2; border-radius: 6px; padding: 12px 16px; }
  #details[hidden] { display: none; }
  .filters { display: flex; gap: 8px; margin-bottom: 10px; }
  .filters input { flex: 1; padding: 6px 8px; }
  table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid #d6dae2; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e6e9ef; vertical-align: top; }
  th { background: #eef1f6; font-weight: 600; }
  tbody tr { cursor: pointer; }
  tbody tr:hover, tbody tr.selected { background: #eaf2ff; }
  .state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; white-space: nowrap; }
  .Active { background: #dbeafe; color: #1e40af; } .Completed { background: #dcfce7; color: #166534; }
  .Failed { background: #fee2e2; color: #991b1b; } .Canceled { background: #e5e7eb; color: #374151; }
  .bar { height: 6px; background: #e5e7eb; border-radius: 3px; min-width: 60px; }
  .bar > div { height: 6px; background: #3b82f6; border-radius: 3px; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; }
  dt { color: #5b6474; } dd { margin: 0; overflow-wrap: anywhere; }
  pre { background: #f3f4f6; padding: 8px; overflow: auto; max-height: 240px; white-space: pre-wrap; }
  .pager { display: flex; gap: 8px; align-items: center; margin-top: 8px; color: #5b6474; }
  button { padding: 5px 12px; cursor: pointer; }
  #cancel, #delete { background: #b91c1c; color: #fff; border: 0; border-radius: 4px; }
  #counts { display: flex; gap: 6px; } #counts button { border: 0; cursor: pointer; }
  nav { display: flex; gap: 4px; padding: 12px 20px 0; }
  nav button { border: 1px solid #d6dae2; background: #eef1f6; border-radius: 6px 6px 0 0; }
  nav button.current { background: #fff; border-bottom-color: #fff; font-weight: 600; }
  #scheduled { flex: 1; min-width: 0; overflow-x: auto; }
  #scheduled tbody tr { cursor: default; }
  [hidden] { display: none !important; }
  .actions { white-space: nowrap; } div.actions { display: flex; gap: 8px; margin-top: 12px; }
  #owner { flex: 0 1 200px; }
  .error { color: #991b1b; }
</style>
</head>
<body>
<header>
  <h1>${escapeHtml(labels.title)}</h1>
  <span id="counts"></span>
  ${settings.readOnly ? `<span>${escapeHtml(labels.readOnly)}</span>` : ''}
  <span id="updated"></span>
  <a href="?lang=${other}">${other.toUpperCase()}</a>
</header>
<nav>
  <button id="tab-jobs">${escapeHtml(labels.jobsTab)}</button><button id="tab-scheduled">${escapeHtml(labels.scheduledTab)}</button>
</nav>
<main>
  <section id="list">
    <div class="filters">
      <select id="state" aria-label="${escapeHtml(labels.state)}"></select>
      <input id="q" type="search" placeholder="${escapeHtml(labels.search)}" aria-label="${escapeHtml(labels.search)}">
      <input id="owner" type="search" placeholder="${escapeHtml(labels.ownerFilter)}" aria-label="${escapeHtml(labels.ownerFilter)}">
    </div>
    <div class="filters" id="runs-of" hidden><span id="runs-of-name"></span><button id="all-jobs">${escapeHtml(labels.allJobs)}</button></div>
    <table>
      <thead><tr>
        <th>${escapeHtml(labels.state)}</th><th>${escapeHtml(labels.method)}</th><th>${escapeHtml(labels.key)}</th>
        <th>${escapeHtml(labels.description)}</th><th>${escapeHtml(labels.begin)}</th><th>${escapeHtml(labels.end)}</th>
        <th>${escapeHtml(labels.duration)}</th><th>${escapeHtml(labels.progress)}</th>
        <th id="owner-head" hidden>${escapeHtml(labels.owner)}</th>
      </tr></thead>
      <tbody id="jobs"></tbody>
    </table>
    <div class="pager"><button id="newer">${escapeHtml(labels.newer)}</button><span id="count"></span><button id="older">${escapeHtml(labels.older)}</button></div>
  </section>
  <section id="details" hidden></section>
  <section id="scheduled" hidden>
    <table>
      <thead><tr>
        <th>${escapeHtml(labels.name)}</th><th>${escapeHtml(labels.method)}</th><th>${escapeHtml(labels.schedule)}</th>
        <th>${escapeHtml(labels.use)}</th><th>${escapeHtml(labels.nextRun)}</th><th>${escapeHtml(labels.lastRun)}</th><th></th>
      </tr></thead>
      <tbody id="scheduled-jobs"></tbody>
    </table>
    <p id="scheduled-error" class="error"></p>
  </section>
</main>
<script type="application/json" id="settings">${scriptJson({
    labels,
    lang,
    base: settings.base,
    csrfToken: settings.csrfToken,
    readOnly: settings.readOnly,
    pollMs: settings.pollMs,
  })}</script>
<script nonce="${nonce}">${JOBS_SCRIPT}${SCHEDULED_SCRIPT}</script>
</body>
</html>
`;
}
