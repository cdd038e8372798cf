// The shapes the browser client (index.ts) sends and receives: a job's JSON as the API router sends it, runJob's
// options, and what its errors carry. Type-only: the built client.js has none of it, and no import.

/** A job's state (1C: СостояниеФоновогоЗадания): Активно, Завершено, ЗавершеноАварийно, Отменено. */
export type JobState = 'Active' | 'Completed' | 'Failed' | 'Canceled';

/** How far a running job has got, as its handler last reported with `progress()`. */
export interface JobProgress {
  /** 0 to 100. */
  readonly percent: number;
  /** What the handler said with it, `''` when nothing. */
  readonly text: string;
}

/** A message the job's handler sent (1C: СообщениеПользователю), as its JSON. */
export interface JobMessage {
  readonly text: string;
  readonly field?: string;
  readonly dataPath?: string;
  readonly dataKey?: string | number;
  readonly targetId?: string;
  /** When it was sent, an ISO date. */
  readonly date: string;
}

/** Why a job failed (1C: ИнформацияОбОшибке), as the router sends it: no path outside the handlers folder. */
export interface JobErrorInfo {
  readonly description: string;
  readonly moduleName: string;
  readonly lineNumber: number;
  readonly sourceLine: string;
  readonly detailedDescription: string;
  readonly cause?: JobErrorInfo;
  readonly stack: string;
  readonly code?: string;
}

/** A job as the router sends it (the job's `toJSON()`); dates are ISO strings. */
export interface JobJson {
  readonly uuid: string;
  readonly methodName: string;
  readonly key: string;
  readonly description: string;
  readonly state: JobState;
  readonly begin?: string;
  readonly end?: string;
  readonly progress?: JobProgress;
  /** Sent by `GET <mount>/<uuid>`; the state events of the stream leave them out. */
  readonly messages?: readonly JobMessage[];
  /** What the handler returned, once Completed. */
  readonly result?: unknown;
  readonly errorInfo?: JobErrorInfo;
  /** The user the job was started for (the router's `owner(req)`). */
  readonly owner?: string;
}

/** What {@link runJob} does besides starting the job. */
export interface RunJobOptions {
  /** The job's key (1C: Ключ): one active job per method and key. */
  readonly key?: string;
  /** 1C: Наименование. */
  readonly description?: string;
  /**
   * When the user's own job of the method holds the key: `'reject'` (the default, 1C), `'join'` (follow it instead: a
   * double click shows the running job) or `'replace'` (cancel it and start this one).
   */
  readonly onKeyConflict?: 'reject' | 'join' | 'replace';
  /** Called with each new progress (1C: ПараметрыОжидания.ВыводитьПрогрессВыполнения). */
  readonly onProgress?: (progress: JobProgress) => void;
  /** Called once with each message, oldest first, never twice (1C: ПараметрыОжидания.ВыводитьСообщения). */
  readonly onMessage?: (message: JobMessage) => void;
  /** Called with the job (without its messages) when it is started, begins, and ends. */
  readonly onState?: (job: JobJson) => void;
  /** Aborting it cancels the job (1C: ОтменитьВыполнениеЗадания); runJob then rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
}

/** The fields a {@link RunJobError} may carry besides its code. */
export interface RunJobErrorDetails {
  /** The HTTP status of the router's refusal. */
  readonly status?: number;
  /** On `WBJ_KEY_CONFLICT`: the active job holding the key, when it is the user's own. */
  readonly holderUuid?: string;
  /** On `WBJ_JOB_FAILED`: why the job failed. */
  readonly errorInfo?: JobErrorInfo;
  /** The job as it ended (`WBJ_JOB_FAILED`, `WBJ_JOB_CANCELED`). */
  readonly job?: JobJson;
}
