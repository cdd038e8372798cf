// The raw Piscina anchor's task: the same work as Bench.Noop and Bench.Stamp, with no library around it.
module.exports = (stamp) => (stamp ? performance.timeOrigin + performance.now() : undefined);
