// Handlers of the benchmark: as light as a job can be, so the figures show the library's own cost.
const { currentJob, message, progress } = require('web-background-jobs');

exports.Noop = () => undefined;

/** Sends `count` messages, numbered. */
exports.Messages = (count) => {
  for (let n = 0; n < count; n += 1) message(String(n));
};

/** The moment the handler ends, on a clock shared by all threads, so a waiter can time how soon it noticed. */
exports.Stamp = () => performance.timeOrigin + performance.now();

/**
 * The moment the handler ends on its own thread's clock, for a waiter on the same thread: at full precision, where
 * Stamp's sum with the time origin (about 1.8e12 ms) is a multiple of 0.244 µs.
 */
exports.Now = () => performance.now();

/** A CPU-bound loop of `iterations` additions; returns the sum, so that the loop cannot be optimised away. */
exports.Loop = (iterations) => {
  let sum = 0;
  for (let n = 0; n < iterations; n += 1) sum += n;
  return sum;
};

/** Keeps its thread busy for `ms` milliseconds, as a CPU-heavy job would. */
exports.Cpu = (ms) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

/**
 * Waits until the bench opens its gate: `globalThis.benchGate`, set by the bench on the same thread (inline
 * isolation only; see gate() in bench/measure.mjs).
 */
exports.Block = () => globalThis.benchGate.start();

/** Reports a progress and a message every `ms` milliseconds until cancelled: a long job a browser watches. */
exports.Tick = async (ms) => {
  const { signal } = currentJob();
  for (let step = 0; !signal.aborted; step += 1) {
    progress(step % 100, `step ${step}`);
    message(`step ${step}`);
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
};
