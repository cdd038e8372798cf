// The layers of src/, bottom to top; `npm run lint` fails on an import that goes up a layer or closes a circle.
//   base (didYouMean.ts, timerLimit.ts) ← model (errors.ts, compat/, jobs/, schedules/) ← config/, loader/
//   ← runners/ ← stores/ ← manager/ ← express/ ← index.ts, index.mts; and beside them cli/ (the init command)
// docs/ARCHITECTURE.md draws them and says what each holds.
const LAYERS = [
  { name: 'base', path: '^src/(didYouMean|timerLimit)\\.ts$' },
  { name: 'model', path: '^src/(errors\\.ts$|compat/|jobs/|schedules/)' },
  { name: 'settings and handlers', path: '^src/(config|loader)/' },
  { name: 'runners', path: '^src/runners/' },
  { name: 'stores', path: '^src/stores/' },
  { name: 'manager', path: '^src/manager/' },
  { name: 'express', path: '^src/express/' },
  { name: 'entry', path: '^src/index\\.m?ts$' },
  { name: 'command line', path: '^src/cli/' },
];

/**
 * What is loaded first: the package (CommonJS and ES module), a worker thread's script, the command's, and the
 * browser client (web-background-jobs/client, served by the API router as client.js).
 */
const ENTRY_POINTS = [
  '^src/index\\.m?ts$',
  '^src/runners/threadWorker\\.ts$',
  '^src/cli/main\\.ts$',
  '^src/client/index\\.ts$',
];

const upwardImports = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `no-import-above-${layer.name.replace(/\W+/g, '-')}`,
  comment: `${layer.name} sits below ${LAYERS.slice(index + 1)
    .map((above) => above.name)
    .join(', ')}: it may import only from its own layer or the ones below`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: LAYERS.slice(index + 1).map((above) => above.path) },
}));

module.exports = {
  forbidden: [
    ...upwardImports,
    {
      name: 'no-command-through-the-package',
      comment:
        'The command line sits beside the package entry, not above it: it imports what it uses from the layers ' +
        'below, so `npx web-background-jobs init` loads none of the job machinery (BullMQ, worker pools)',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/index\\.m?ts$' },
    },
    {
      name: 'no-import-in-the-browser-client',
      comment:
        'The browser client is one plain ES module a page loads as is (<mount>/client.js): it may import types ' +
        'only, which vanish when compiled, and only its own (its .d.ts files ship beside it)',
      severity: 'error',
      from: { path: '^src/client/' },
      to: { dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-import-from-the-browser-client-out',
      comment: 'The browser client has no Node and none of the package: its types are its own',
      severity: 'error',
      from: { path: '^src/client/' },
      to: { pathNot: '^src/client/' },
    },
    {
      name: 'no-import-of-the-browser-client',
      comment: 'The package runs in Node: the browser client is served as a file, never imported',
      severity: 'error',
      from: { pathNot: '^src/client/' },
      to: { path: '^src/client/' },
    },
    {
      name: 'no-circular',
      comment:
        'No file imports itself back through others. Type-only imports are left out: they vanish when compiled, and the ' +
        'public classes ФоновоеЗадание and РегламентноеЗадание name each other (a job its scheduled job, a scheduled ' +
        'job its last job)',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-unreachable-source',
      comment:
        'Every file of src/ is reached from an entry point (the package, or the worker thread): else it is dead code',
      severity: 'error',
      from: { path: ENTRY_POINTS },
      to: { path: '^src/', pathNot: ENTRY_POINTS, reachable: false },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count for the layers: a lower layer names no type of a higher one either.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
  },
};
