import { isUtf8 } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import { BackgroundJobsError } from '../errors';
import { configError } from './configError';

/**
 * The largest web.config read, 4 MiB: room for tens of thousands of keys (IIS itself refuses a web.config over
 * 250 KB by default), and a bound on the memory and time start-up can spend on a file.
 */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * The text of web.config, decoded as an XML parser does: UTF-16 (little- or big-endian) after its byte-order mark,
 * else UTF-8, with or without a byte-order mark, which is dropped.
 * @throws BackgroundJobsError `WBJ_CONFIG` for what is not a regular file, a file over {@link MAX_CONFIG_BYTES},
 *   UTF-32, invalid UTF-8 (naming the line, and the encoding the file declares), or a NUL byte (UTF-16 without a mark).
 */
export function readConfigText(file: string): string {
  let bytes: Buffer;
  try {
    const stats = statSync(file);
    // A device or a pipe (/dev/zero) has no size to check and might never end.
    if (!stats.isFile()) throw configError(file, undefined, 'The config path is not a regular file');
    if (stats.size > MAX_CONFIG_BYTES) {
      throw configError(
        file,
        undefined,
        `The config file is ${stats.size} bytes; at most ${MAX_CONFIG_BYTES} (4 MiB) are read`,
      );
    }
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof BackgroundJobsError) throw error;
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `The config file ${file} could not be read: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  return decode(bytes, file).replace(/^\uFEFF/, '');
}

function decode(bytes: Buffer, file: string): string {
  const mark = bytes.subarray(0, 4).toString('hex');
  if (mark === 'fffe0000' || mark === '0000feff') {
    throw configError(
      file,
      undefined,
      'The config file is UTF-32, which is not read; save it as UTF-8, or UTF-16 with a byte-order mark',
    );
  }
  if (mark.startsWith('fffe')) return utf16(bytes, 'little-endian', file);
  if (mark.startsWith('feff')) return utf16(bytes, 'big-endian', file);
  if (!isUtf8(bytes)) {
    const declared = /^(?:\uFEFF)?<\?xml[^>]*?\bencoding\s*=\s*["']([^"']+)["']/.exec(
      bytes.subarray(0, 256).toString('latin1'),
    )?.[1];
    throw configError(
      file,
      firstLine(bytes, (line) => !isUtf8(line)),
      `The config file is not valid UTF-8${declared === undefined ? '' : ` (it declares encoding "${declared}", which is not read)`}; save it as UTF-8, or UTF-16 with a byte-order mark`,
    );
  }
  if (bytes.includes(0)) {
    throw configError(
      file,
      firstLine(bytes, (line) => line.includes(0)),
      'The config file has a NUL byte, which XML does not allow: if it is UTF-16, save it with a byte-order mark, or as UTF-8',
    );
  }
  return bytes.toString('utf8');
}

/** UTF-16 after its byte-order mark (decoded with it, as U+FEFF). */
function utf16(bytes: Buffer, order: 'little-endian' | 'big-endian', file: string): string {
  if (bytes.length % 2 !== 0) {
    throw configError(
      file,
      undefined,
      `The config file is UTF-16 (${order}, by its byte-order mark) but has an odd number of bytes: it is cut short`,
    );
  }
  return (order === 'big-endian' ? Buffer.from(bytes).swap16() : bytes).toString('utf16le');
}

/** The 1-based number of the first line (of UTF-8 or ASCII-compatible bytes) that `bad` holds for. */
function firstLine(bytes: Buffer, bad: (line: Buffer) => boolean): number {
  // 0x0a is never part of a multi-byte UTF-8 sequence, so a line can be judged on its own.
  let line = 1;
  for (let start = 0; ; line += 1) {
    const end = bytes.indexOf(NEWLINE, start);
    if (end === -1 || bad(bytes.subarray(start, end))) return line;
    start = end + 1;
  }
}
