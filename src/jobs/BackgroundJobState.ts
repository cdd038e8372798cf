import { ALIASES, type AliasMembers } from '../compat/aliases';

const states = {
  /** Running, or registered and about to run. 1C: Активно. */
  Active: 'Active',
  /** The handler returned. 1C: Завершено. */
  Completed: 'Completed',
  /** The handler threw, rejected or left an unhandled rejection behind. 1C: ЗавершеноАварийно. */
  Failed: 'Failed',
  /** `cancel()` was called while the job was active. 1C: Отменено. */
  Canceled: 'Canceled',
} as const;

/** The state of a background job (1C: СостояниеФоновогоЗадания). */
export type BackgroundJobState = (typeof states)[keyof typeof states];

/** The values of {@link BackgroundJobState}, also under their 1C names (`BackgroundJobState.Отменено === 'Canceled'`). */
export const BackgroundJobState: typeof states & AliasMembers<typeof states, typeof ALIASES.state> =
  Object.freeze(
    Object.assign(
      {},
      states,
      ...Object.entries(ALIASES.state).flatMap(([value, names]) => names.map((name) => ({ [name]: value }))),
    ),
  );
