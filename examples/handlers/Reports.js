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

/**
 * CPU-bound: counts the primes below `limit` by trial division, without yielding (the default takes a few seconds).
 * In a worker thread the app keeps answering meanwhile, and the progress it reports shows while it runs.
 */
exports.CountPrimes = (limit = 10_000_000) => {
  let count = 0;
  for (let n = 2; n < limit; n += 1) {
    let prime = true;
    for (let divisor = 2; divisor * divisor <= n; divisor += 1) {
      if (n % divisor === 0) {
        prime = false;
        break;
      }
    }
    if (!prime) continue;
    count += 1;
    if (count % 50_000 === 0) progress((100 * n) / limit, `${count} primes so far`);
  }
  return count;
};
