// A slower job that reports as it goes, honours cancel, and can fail.
const { currentJob, message } = require('web-background-jobs');

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
  }
  return { months, total: months * 100 };
};

/** Always fails, to show errorInfo. */
exports.Fail = (reason = 'The report source is unavailable') => {
  throw new Error(reason);
};
