// Handlers of the benchmark: as light as a job can be, so the figures show the library's own cost.
exports.Noop = () => undefined;

/** The moment the handler ends, on a clock shared by all threads, so a waiter can time how soon it noticed. */
exports.Stamp = () => performance.timeOrigin + performance.now();
