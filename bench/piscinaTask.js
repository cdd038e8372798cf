// The raw Piscina anchor's task: the same work as Bench.Noop, Bench.Stamp and Bench.Loop (a number of iterations),
// with no library around it (nor loaded: the handlers file loads it for `message`).
module.exports = (task) => {
  if (task === 'stamp') return performance.timeOrigin + performance.now();
  if (typeof task !== 'number') return undefined;
  let sum = 0;
  for (let n = 0; n < task; n += 1) sum += n;
  return sum;
};
