// What a job's handler reports while it runs, its user messages and its last progress, kept apart from the job's
// state: they are recorded, paged by the dashboard, taken by getUserMessages(true) and brought up to date from a
// store's snapshot, each by rules of their own.
import { receivedMessage, type UserMessage, type UserMessageFields } from './UserMessage';

/** How far a running job has got, as its handler last reported with `progress()`. */
export interface JobProgress {
  /** 0 to 100. */
  readonly percent: number;
  /** What the handler said with it, `''` when nothing. */
  readonly text: string;
  readonly date: Date;
}

/** What a handler reports while it runs, a user message or its progress; it crosses threads as is. */
export type JobReport =
  | ({ readonly kind: 'message'; readonly date: Date } & UserMessageFields)
  | { readonly kind: 'progress'; readonly percent: number; readonly text: string; readonly date: Date };

/** The messages and the progress one job has reported: what its getUserMessages() and progress read. */
export class JobReports {
  #messages: UserMessage[] = [];
  /** How many messages `take(true)` took: a store's snapshot holds them all, this copy shows the rest. */
  #taken = 0;
  #progress: JobProgress | undefined;

  /** The last progress reported, kept after the job ends. */
  get progress(): JobProgress | undefined {
    return this.#progress;
  }

  /** How many messages were reported in all, those `take(true)` took included. */
  get reported(): number {
    return this.#taken + this.#messages.length;
  }

  record(report: JobReport): void {
    const date = new Date(report.date);
    if (report.kind === 'message') this.#messages.push(receivedMessage(report, date));
    else this.#progress = Object.freeze({ percent: report.percent, text: report.text, date });
  }

  /** The messages held, oldest first, as a frozen array; with `remove`, they are no longer held. */
  take(remove: boolean): readonly UserMessage[] {
    const taken = Object.freeze(this.#messages.slice());
    if (remove) {
      this.#taken += taken.length;
      this.#messages = [];
    }
    return taken;
  }

  /**
   * A page of the messages held without copying the rest: `limit` messages, oldest first, ending `offset` messages
   * before the newest; `total` is how many are held.
   */
  page(offset: number, limit: number): { total: number; messages: readonly UserMessage[] } {
    const total = this.#messages.length;
    const end = Math.max(0, total - offset);
    return { total, messages: this.#messages.slice(Math.max(0, end - limit), end) };
  }

  /**
   * Takes a store's progress and messages. A job's messages only ever grow: of `messages`, which start at the job's
   * message number `messagesFrom`, those past the ones held here are appended; none given: the held ones stay.
   */
  sync(
    progress: JobProgress | undefined,
    messages: readonly UserMessage[] | undefined,
    messagesFrom = 0,
  ): void {
    this.#progress = progress;
    if (!messages) return;
    for (let at = Math.max(0, this.reported - messagesFrom); at < messages.length; at += 1)
      this.#messages.push(messages[at]!);
  }
}
