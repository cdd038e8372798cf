import type { Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { within } from './within';

/** A BullMQ object holding connections of its own. */
export type BullmqObject = Queue | QueueEvents | Worker;

/**
 * Closes BullMQ objects so that nothing of them outlives the close, with Redis in reach or not; `witness` is a
 * connection of ours to the same Redis, asked once whether Redis is in reach, whatever the number of objects.
 *
 * BullMQ's close() does not settle while Redis is out of reach: it waits for each connection to say 'end', which
 * ioredis never says of a connection that was waiting to reconnect, and a connection it quit in vain (no offline
 * queue) goes on reconnecting for ever, without listeners, keeping the process alive (BullMQ issues 2430 and 4656).
 * So once an object is closed, or Redis is lost (before or while closing), each of its connections is disconnected
 * here, which stops its reconnecting, and its close is no longer waited for. A worker closing while Redis is lost
 * already closes by force: nothing it would wait for could be stored. (A worker that loses Redis while it closes may
 * still wait for its blocking fetch until Redis is back: BullMQ's close cannot be forced once begun.)
 */
export async function closeBullmq(
  objects: readonly BullmqObject[],
  witness: Redis,
  force = false,
): Promise<void> {
  // A worker takes no job from now on, whatever is waited for below: it pauses without waiting for the jobs it runs.
  for (const object of objects) if ('isRunning' in object) void object.pause(true).catch(() => {});
  const lostAlready = !(await answers(witness));
  const lost = lostAlready
    ? Promise.resolve()
    : new Promise<void>((resolve) => witness.once('close', () => resolve()));
  await Promise.all(objects.map((object) => closeOne(object, lost, force || lostAlready)));
}

/**
 * How long a connection waiting to reconnect while Redis answers the witness is given before its object counts as
 * lost: a few of reconnectDelay's tries, which come a second apart at most. One that cannot reconnect (a connection
 * limit reached, say) would otherwise hold the close for ever.
 */
const RECONNECT_PATIENCE_MS = 3000;

async function closeOne(object: BullmqObject, lost: Promise<void>, force: boolean): Promise<void> {
  // Just after an outage, Redis may answer the witness while a connection of a worker or an events reader still
  // waits to reconnect: BullMQ's close would disconnect it, which stops the wait, then wait for an 'end' ioredis never
  // says of it. It is given its reconnect first. (A queue is not waited for: with no offline queue, its quit fails
  // at once.)
  const gaveUp = !('add' in object) && !(await reconnectedWithin(object, lost));
  // An events reader that cannot reconnect closes by force: it has nothing to store. A worker's running jobs may
  // still store their ends on its other connection: only its fetching one is closed by force (BullMQ then finds it
  // ended), and the close stays graceful.
  const forced = gaveUp && !('isRunning' in object);
  if (gaveUp && !forced)
    void object
      .getBackend()
      .blockingConnection?.close(true)
      .catch(() => {});
  const closed = object.close(force || forced).catch(() => {}); // closing anyway: nothing left to lose
  if (!forced) await Promise.race([closed, lost]);
  // Closed or not, each connection is disconnected: one that BullMQ quit as Redis went away may be reconnecting
  // under a status BullMQ set to 'end', and one still starting when Redis went away (a queue-events reader made just
  // before) is one that BullMQ's close() waits on for ever: closed here by force, which disconnects it at once. The
  // backend is closed too: until it is, BullMQ's watchdog of a blocking fetch reconnects its connection every 11 s.
  const backend = object.getBackend();
  void backend.close(true).catch(() => {});
  for (const each of [backend.connection, backend.blockingConnection]) {
    if (each === undefined) continue;
    void each.close(true).catch(() => {});
    void each.client.then(
      (client) => client.disconnect(),
      () => {},
    );
  }
}

/** Whether every connection of `object` waiting to reconnect did, before Redis was lost or the patience ran out. */
function reconnectedWithin(object: BullmqObject, lost: Promise<void>): Promise<boolean> {
  const reconnecting = Promise.race([reconnected(object).then(() => true), lost.then(() => false)]);
  return within(reconnecting, RECONNECT_PATIENCE_MS, false);
}

/** Resolves once no connection of `object` is waiting to reconnect: each that is has connected, or ended. */
async function reconnected(object: BullmqObject): Promise<void> {
  const { connection, blockingConnection } = object.getBackend();
  const clients = await Promise.all(
    [connection, blockingConnection].map((each) => each?.client.catch(() => undefined)),
  );
  await Promise.all(
    clients.map(
      (client) =>
        client?.status === 'reconnecting' &&
        new Promise((resolve) => {
          client.once('ready', resolve);
          client.once('end', resolve);
        }),
    ),
  );
}

/**
 * Whether Redis answers `client` now. Its status alone may still say `ready` just after Redis went away, until the
 * loss is read from its socket; a PING learns it then. A PING slow to answer counts as an answer: only a lost
 * Redis makes a close force its way.
 */
async function answers(client: Redis): Promise<boolean> {
  if (client.status !== 'ready') return false;
  const ping = client.ping().then(
    () => true,
    () => false,
  );
  return within(ping, 1000, true);
}
