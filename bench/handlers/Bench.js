// Handlers of the benchmark: as light as a job can be, so the figures show the library's own cost.
exports.Noop = () => undefined;

/** Stamps the moment the handler ends, so the benchmark can time how soon a wait notices. */
exports.Stamp = () => {
  globalThis.benchHandlerEnd = performance.now();
};
