import { MAX_TIMER_MS } from '../timerLimit';
import type { ScheduledJobData } from '../schedules/scheduledJobData';
import type { ScheduleRule } from '../schedules/scheduleRule';
import {
  nameTaken,
  type OnTick,
  type Retry,
  type ScheduleStore,
  type StoredScheduledJob,
} from './ScheduleStore';

interface Entry {
  data: ScheduledJobData;
  schedule: ScheduleRule;
  lastJobUuid: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Scheduled jobs held in this process, each in use with one timer. Each next run is computed from the schedule
 * and the time the last one was due, never from when a run ended, so runs do not drift; runs missed while the
 * event loop was blocked are skipped, not made up.
 */
export class MemoryScheduleStore implements ScheduleStore {
  readonly #entries = new Map<string, Entry>();
  /** The UUID of each name, lower-cased: a write finds the holder of its name without reading every job. */
  readonly #names = new Map<string, string>();
  readonly #onTick: OnTick;
  /** The timers of retries to come, each for a different failed run. */
  readonly #retries = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(onTick: OnTick) {
    this.#onTick = onTick;
  }

  async write(data: ScheduledJobData, schedule: ScheduleRule): Promise<void> {
    const name = data.name.toLowerCase();
    const holder = this.#names.get(name);
    if (holder !== undefined && holder !== data.uuid) throw nameTaken(data.name, holder);
    const previous = this.#entries.get(data.uuid);
    clearTimeout(previous?.timer);
    this.#names.set(name, data.uuid);
    const entry: Entry = { data, schedule, lastJobUuid: previous?.lastJobUuid, timer: undefined };
    this.#entries.set(data.uuid, entry);
    if (data.use) this.#arm(entry, schedule.nextRunAfter(new Date()));
  }

  async delete(uuid: string): Promise<boolean> {
    const entry = this.#entries.get(uuid);
    if (entry === undefined) return false;
    clearTimeout(entry.timer);
    this.#names.delete(entry.data.name.toLowerCase());
    return this.#entries.delete(uuid);
  }

  async get(uuid: string): Promise<StoredScheduledJob | undefined> {
    const entry = this.#entries.get(uuid);
    return entry && { data: entry.data, lastJobUuid: entry.lastJobUuid };
  }

  async list(): Promise<StoredScheduledJob[]> {
    return [...this.#entries.values()]
      .map(({ data, lastJobUuid }) => ({ data, lastJobUuid }))
      .sort((a, b) => a.data.name.localeCompare(b.data.name));
  }

  async recordRun(uuid: string, jobUuid: string): Promise<void> {
    const entry = this.#entries.get(uuid);
    if (entry !== undefined) entry.lastJobUuid = jobUuid;
  }

  async retry(uuid: string, retry: Retry, due: Date): Promise<void> {
    if (this.#closed || this.#retries.has(retry.of)) return;
    const delay = Math.max(due.getTime() - Date.now(), 0); // at most MAX_RESTART_INTERVAL_SECONDS: one step
    const timer = setTimeout(() => {
      this.#retries.delete(retry.of);
      void this.#onTick(uuid, due, retry);
    }, delay);
    this.#retries.set(retry.of, timer.unref());
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const entry of this.#entries.values()) clearTimeout(entry.timer);
    for (const timer of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
  }

  #arm(entry: Entry, due: Date | undefined): void {
    if (due === undefined || this.#closed) return;
    // Past setTimeout's longest delay a run is reached in steps of it.
    const delay = Math.min(Math.max(due.getTime() - Date.now(), 0), MAX_TIMER_MS);
    // unref: a schedule alone does not keep the process alive; the server it serves does.
    entry.timer = setTimeout(() => this.#fire(entry, due), delay).unref();
  }

  #fire(entry: Entry, due: Date): void {
    if (this.#entries.get(entry.data.uuid) !== entry) return; // replaced or deleted meanwhile
    const now = Date.now();
    // A long delay is reached in steps, and the wall clock may lag the timer's clock by a millisecond.
    if (now < due.getTime()) return this.#arm(entry, due);
    void this.#onTick(entry.data.uuid, due);
    this.#arm(entry, entry.schedule.nextRunAfter(new Date(Math.max(due.getTime(), now))));
  }
}
