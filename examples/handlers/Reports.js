// A slower job that reports as it goes, honours cancel, and can fail.
const { currentJob, message, progress } = require('web-background-jobs');

function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

/** Builds a report over `months` months, one second each; cancel stops it. */
exports.Build = async (months = 3) => {
  const { signal } = currentJob();
  for (let month = 1; month <= months; month += 1) {
    await pause(1000, signal);
    message(`Month ${month} of ${months} done`);
    progress((100 * month) / months, `Month ${month} of ${months}`);
  }
  return { months, total: months * 100 };
};

/** The demo's scheduled job (config/web.config): says the app is alive, and for how long. */
exports.Heartbeat = () => {
  message(`Alive at ${new Date().toISOString()}`);
  return { uptimeSeconds: Math.round(process.uptime()) };
};

/** Always fails, to show errorInfo. */
exports.Fail = (reason = 'The report source is unavailable') => {
  throw new Error(reason);
};

/** CPU-bound: counts the primes below `limit` without yielding. In a worker thread the app keeps answering. */
exports.CountPrimes = (limit = 20_000_000) => {
  const composite = new Uint8Array(limit);
  let count = 0;
  for (let n = 2; n < limit; n += 1) {
    if (composite[n]) continue;
    count += 1;
    for (let multiple = n * n; multiple < limit; multiple += n) composite[multiple] = 1;
    if (count % 100_000 === 0) progress((100 * n) / limit, `${count} primes so far`);
  }
  return count;
};
