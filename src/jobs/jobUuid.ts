import { randomFillSync } from 'node:crypto';

/**
 * Random bytes for the next 256 UUIDs, filled at once from the operating system's CSPRNG as Node's own
 * `randomUUID()` buffers them; `next` is the offset of the next UUID's 16.
 */
const random = Buffer.alloc(16 * 256);
let next = random.length;

/** Each byte's two lowercase hex digits, as ASCII codes: `HEX[2 * byte]` and `HEX[2 * byte + 1]`. */
const HEX = Uint8Array.from({ length: 512 }, (_, index) =>
  (index >> 1)
    .toString(16)
    .padStart(2, '0')
    .charCodeAt(index & 1),
);

/** Where each of a UUID's 16 bytes writes its two digits in the 36-character text. */
const DIGITS_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** The text being written, its dashes in place. */
const text = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');

/**
 * A new job's RFC 4122 version 4 UUID, as one flat string. Node's `randomUUID()` adds up 20 pieces, which V8 keeps
 * as a tree of about 14 strings (about 490 bytes of heap) until a character of it is read, and a job holds its UUID
 * for as long as it is kept (queued, running, in history); written here as ASCII and read out once, it is one
 * 36-character string (about 60 bytes) from the start, in half the time (about 0.2 µs against 0.45).
 */
export function newJobUuid(): string {
  if (next === random.length) {
    randomFillSync(random);
    next = 0;
  }
  random[next + 6] = (random[next + 6]! & 0x0f) | 0x40; // version 4
  random[next + 8] = (random[next + 8]! & 0x3f) | 0x80; // variant 10xx
  for (let index = 0; index < 16; index += 1) {
    const byte = random[next + index]! * 2;
    const at = DIGITS_AT[index]!;
    text[at] = HEX[byte]!;
    text[at + 1] = HEX[byte + 1]!;
  }
  next += 16;
  return text.toString('latin1', 0, 36);
}
