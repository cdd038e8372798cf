import { randomUUID } from 'node:crypto';

/**
 * A new job's UUID, as one flat string. Node builds `randomUUID()` by adding up 20 pieces, which V8 keeps as a tree
 * of about 14 strings (about 490 bytes of heap) until a character of it is read; read once here, it becomes one
 * 36-character string (about 60 bytes), and a job holds its UUID for as long as it is kept: queued, running, in
 * history.
 */
export function newJobUuid(): string {
  const uuid = randomUUID();
  uuid.charCodeAt(0); // flattens it
  return uuid;
}
