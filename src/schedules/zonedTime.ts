/** A calendar day in some time zone. */
export interface ZonedDay {
  readonly year: number;
  /** 1 to 12. */
  readonly month: number;
  /** 1 to 31. */
  readonly day: number;
  /** 1C numbering: 1 Monday … 7 Sunday. */
  readonly weekDay: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** {@link localTimeZone} as last read, and the `TZ` it was read under. */
let local: { readonly tz: string | undefined; readonly zone: string } | undefined;

/**
 * The process's own time zone, which schedules without a `timezone` follow. Read again only when `TZ` changes, as
 * V8 does: building an Intl.DateTimeFormat costs more than checking a schedule, and web.config may declare thousands.
 */
export function localTimeZone(): string {
  const tz = process.env.TZ;
  if (local === undefined || local.tz !== tz)
    local = { tz, zone: Intl.DateTimeFormat().resolvedOptions().timeZone };
  return local.zone;
}

/** Whether `zone` is an IANA time zone this Node.js knows (`Europe/Moscow`, `UTC`…). */
export function isTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading of `instant` in `zone`, as if that reading were UTC (milliseconds). */
function wallClock(instant: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const { type, value } of formatterFor(zone).formatToParts(instant)) parts[type] = Number(value);
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/** The day `instant` falls on in `zone`. */
export function zonedDay(instant: number, zone: string): ZonedDay {
  return dayOf(new Date(wallClock(instant, zone)));
}

/** The calendar day after `day` (or `days` later; before it when negative). */
export function nextDay(day: ZonedDay, days = 1): ZonedDay {
  return dayOf(new Date(Date.UTC(day.year, day.month - 1, day.day + days)));
}

/**
 * The instant at which the clocks of `zone` read `secondOfDay` on `day`. A reading that happens twice (clocks
 * set back) gives its first instant, or its last with `latest`; a reading that never happens (clocks set
 * forward) gives the first instant after the gap, as cron does for fixed-time jobs.
 */
export function instantAt(day: ZonedDay, secondOfDay: number, zone: string, latest = false): number {
  const wanted = Date.UTC(day.year, day.month - 1, day.day) + secondOfDay * 1000;
  // A zone changes its offset at most once around one reading: the offsets a day before and after cover both.
  const offsets = [wanted - 86_400_000, wanted + 86_400_000].map((probe) => wallClock(probe, zone) - probe);
  const candidates = [...new Set(offsets.map((offset) => wanted - offset))].sort((a, b) => a - b);
  const exact = candidates.filter((instant) => wallClock(instant, zone) === wanted);
  if (exact.length > 0) return latest ? exact[exact.length - 1] : exact[0];
  // In the gap: find the first instant whose reading is past the wanted one (the end of the gap).
  let [before, after] = [candidates[0], candidates[candidates.length - 1]];
  while (after - before > 1000) {
    const middle = before + Math.floor((after - before) / 2000) * 1000;
    if (wallClock(middle, zone) >= wanted) after = middle;
    else before = middle;
  }
  return after;
}

function dayOf(date: Date): ZonedDay {
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    weekDay: ((date.getUTCDay() + 6) % 7) + 1,
  };
}

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}
