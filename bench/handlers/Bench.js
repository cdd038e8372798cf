// Handlers of the benchmark: as light as a job can be, so the figures show the library's own cost.
const { message } = require('web-background-jobs');

exports.Noop = () => undefined;

/** Sends `count` messages, numbered. */
exports.Messages = (count) => {
  for (let n = 0; n < count; n += 1) message(String(n));
};

/** The moment the handler ends, on a clock shared by all threads, so a waiter can time how soon it noticed. */
exports.Stamp = () => performance.timeOrigin + performance.now();
