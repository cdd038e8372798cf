import { types } from 'node:util';
import { ALIASES, type AliasMembers, applyAliases, englishName } from '../compat/aliases';
import { sealMembers } from '../compat/sealMembers';
import { didYouMean } from '../didYouMean';
import { BackgroundJobsError, checkArgument, describeValue } from '../errors';
import { runningJobOf } from './jobContext';

/**
 * What identifies the data a message is about (1C: КлючДанных, a reference or a record key there): a string or a
 * number here, which cross worker threads and Redis unchanged.
 */
export type UserMessageDataKey = string | number;

/** The fields of a user message; every one but `text` optional, as 1C leaves them empty. */
export interface UserMessageFields {
  /** 1C: Текст. */
  readonly text: string;
  /** The form field the message is about (1C: Поле), e.g. `'Сумма'`. */
  readonly field?: string;
  /** The path to the data the field shows (1C: ПутьКДанным), e.g. `'Объект'`. */
  readonly dataPath?: string;
  /** The record the message is about (1C: КлючДанных). */
  readonly dataKey?: UserMessageDataKey;
  /** The form or client the message is for (1C: ИдентификаторНазначения). */
  readonly targetId?: string;
}

/** What `new UserMessage(init)` and `message(init)` take: the fields, by their English or 1C names. */
export type UserMessageInit = Partial<UserMessageFields> &
  Partial<AliasMembers<UserMessageFields, typeof ALIASES.userMessage>>;

/** A message as plain data, what `JSON.stringify` shows: the fields not given are left out. */
export interface UserMessageData extends UserMessageFields {
  readonly date: Date;
}

/** What `text` takes, as message() always has: 1C converts numbers and booleans to text. */
type TextLike = string | number | boolean | bigint;
const TEXT_TYPES: readonly string[] = ['string', 'number', 'boolean', 'bigint'];

const FIELDS = ['text', 'field', 'dataPath', 'dataKey', 'targetId'] as const;
type Field = (typeof FIELDS)[number];

const WHAT = 'a user message (СообщениеПользователю)';

/** Every name of every field, for a did-you-mean; `Field` is left out beside `field`, as a hint names it once. */
const FIELD_NAMES = FIELDS.flatMap((field) => [field, ...ALIASES.userMessage[field]]).filter(
  (name, index, names) => names.findIndex((other) => other.toLowerCase() === name.toLowerCase()) === index,
);

/** Set by the class's static block: the one way to make a message read back from a job. */
let receive: (fields: UserMessageFields, date: Date) => UserMessage;

/** The 1C names of the message's members (`С.Текст`, `С.Поле`, `С.Сообщить()`…). */
export interface UserMessage extends AliasMembers<
  Pick<UserMessage, keyof typeof ALIASES.userMessage>,
  typeof ALIASES.userMessage,
  Exclude<keyof typeof ALIASES.userMessage, 'send'>
> {}

/**
 * A message for the user from a running job (1C: СообщениеПользователю): filled in, then sent with `send()`
 * (`Сообщить()`), and read back with `job.getUserMessages()`, which returns messages of this class that cannot be
 * changed. `message(text)` is the short form.
 *
 * @example
 * const С = new СообщениеПользователю();
 * С.Текст = 'Сумма не заполнена';
 * С.Поле = 'Сумма';
 * С.Сообщить();
 */
export class UserMessage {
  #text = '';
  #field = '';
  #dataPath = '';
  #dataKey: UserMessageDataKey | undefined;
  #targetId = '';
  #date = new Date();
  /** Set on a message read back from a job: what the job said cannot be changed afterwards. */
  #received = false;

  /** @param init - the fields to start with, by their English or 1C names (1C's constructor takes none). */
  constructor(init?: UserMessageInit) {
    if (init === undefined) return;
    const call = `new UserMessage(${describeValue(init)})`;
    this.#assign(fieldsOf(init, call, `new UserMessage(init) takes an object of ${FIELDS.join(', ')}`));
  }

  /** The text of the message, `''` until set (1C: Текст). Numbers and booleans are taken as text. */
  get text(): string {
    return this.#text;
  }
  set text(value: TextLike) {
    this.#set('text', value);
  }

  /** The form field the message is about, `''` when none (1C: Поле). */
  get field(): string {
    return this.#field;
  }
  set field(value: string) {
    this.#set('field', value);
  }

  /** The path to the data the field shows, `''` when none (1C: ПутьКДанным). */
  get dataPath(): string {
    return this.#dataPath;
  }
  set dataPath(value: string) {
    this.#set('dataPath', value);
  }

  /** The record the message is about, a string or a number; `undefined` when none (1C: КлючДанных). */
  get dataKey(): UserMessageDataKey | undefined {
    return this.#dataKey;
  }
  set dataKey(value: UserMessageDataKey | undefined) {
    this.#set('dataKey', value);
  }

  /** The form or client the message is for, `''` when none (1C: ИдентификаторНазначения). */
  get targetId(): string {
    return this.#targetId;
  }
  set targetId(value: string) {
    this.#set('targetId', value);
  }

  /** When it was sent, for a message read back from a job; when it was made, for a new one. A copy. */
  get date(): Date {
    return new Date(this.#date);
  }

  /**
   * Sends the message to the job whose handler is running (1C: Сообщить), to be read with `getUserMessages()`; a
   * message read back from a job may be sent on, as БСП passes a child job's messages to its caller.
   * @throws BackgroundJobsError `WBJ_NO_CURRENT_JOB` outside a job.
   */
  send(): void {
    const running = runningJobOf(`${WHAT}.send()`);
    running.report({ kind: 'message', ...this.#fields(), date: new Date() });
  }

  /** The message as plain data for JSON: its English fields, those left empty omitted. */
  toJSON(): UserMessageData {
    return { ...this.#fields(), date: this.date };
  }

  /** The fields that are set, as reports, Redis and JSON carry them. */
  #fields(): UserMessageFields {
    return {
      text: this.#text,
      ...(this.#field !== '' && { field: this.#field }),
      ...(this.#dataPath !== '' && { dataPath: this.#dataPath }),
      ...(this.#dataKey !== undefined && { dataKey: this.#dataKey }),
      ...(this.#targetId !== '' && { targetId: this.#targetId }),
    };
  }

  #set(field: Field, value: unknown): void {
    if (this.#received) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `The member ${field} of ${WHAT} read back from a job is read-only: what the job said does not change. Make a new UserMessage to send another`,
      );
    }
    this.#assign({ [field]: checkedField(field, value, `${WHAT}.${field} = ${describeValue(value)}`) });
  }

  #assign(fields: Partial<UserMessageFields>): void {
    if (fields.text !== undefined) this.#text = fields.text;
    if (fields.field !== undefined) this.#field = fields.field;
    if (fields.dataPath !== undefined) this.#dataPath = fields.dataPath;
    if ('dataKey' in fields) this.#dataKey = fields.dataKey;
    if (fields.targetId !== undefined) this.#targetId = fields.targetId;
  }

  static {
    receive = (fields, date) => {
      const received = new UserMessage();
      received.#assign(fields);
      received.#date = new Date(date);
      received.#received = true;
      // Its fields as its own enumerable members too (the class's accessors, setters refusing): a copy of a message
      // read back (structured clone, a worker's result, a spread, Jest's toEqual) keeps them instead of being {}.
      for (const field of Object.keys(received.toJSON())) {
        const { get, set } = Object.getOwnPropertyDescriptor(UserMessage.prototype, field)!;
        Object.defineProperty(received, field, { get, set, enumerable: true });
      }
      Object.freeze(received);
      return received;
    };
  }
}

applyAliases(UserMessage.prototype, ALIASES.userMessage);
sealMembers(UserMessage.prototype, WHAT);

/**
 * @internal A message as a job's reader gets it, from a report of its handler (in this thread, from a worker, or
 * from Redis): frozen, its fields read-only.
 */
export function receivedMessage(fields: UserMessageFields, date: Date): UserMessage {
  return receive(fields, date);
}

/**
 * Inside a handler: sends a user message to the current job, read back with `job.getUserMessages()`
 * (1C: Сообщить). Takes text (strings, numbers, booleans and bigints, as 1C converts them to text), or the fields
 * of a {@link UserMessage}: `message({ text: 'Сумма не заполнена', field: 'Сумма' })`.
 * @throws BackgroundJobsError `WBJ_NO_CURRENT_JOB` outside a job; `WBJ_BAD_ARGUMENT` for other values.
 */
export function message(text: TextLike | UserMessageInit): void {
  const call = `message(${describeValue(text)})`;
  runningJobOf(call);
  if (TEXT_TYPES.includes(typeof text)) return new UserMessage({ text: String(text) }).send();
  const expected = `message() takes text or an object with text (and ${FIELDS.slice(1).join(', ')})`;
  const fields = fieldsOf(text, call, expected);
  if (fields.text === undefined) {
    throw new BackgroundJobsError('WBJ_BAD_ARGUMENT', `${expected}, got ${describeValue(text)}`);
  }
  new UserMessage(fields).send();
}

/**
 * The fields of an init object, each checked, by their English names; an unknown name is refused. A Proxy is
 * refused before any of its traps runs; a getter that throws, as every public method refuses it.
 * @param expected - what the call takes, for the message refusing something else.
 */
function fieldsOf(init: unknown, call: string, expected: string): Partial<UserMessageFields> {
  if (typeof init !== 'object' || init === null || types.isProxy(init) || Array.isArray(init)) {
    throw new BackgroundJobsError('WBJ_BAD_ARGUMENT', `${expected}, got ${describeValue(init)}`);
  }
  return checkArgument(call, init, () => {
    const fields: Partial<Record<Field, unknown>> = {};
    for (const [name, value] of Object.entries(init)) {
      const field = englishName(ALIASES.userMessage, name);
      if (field === undefined || field === 'send') {
        const hint = didYouMean(name, FIELD_NAMES);
        throw new BackgroundJobsError(
          'WBJ_BAD_ARGUMENT',
          `${call}: a user message has no field ${JSON.stringify(name)}; it has ${FIELDS.join(', ')}${hint ? `; ${hint}` : ''}`,
        );
      }
      fields[field] = checkedField(field, value, call);
    }
    return fields as Partial<UserMessageFields>;
  });
}

/** `value` as the field takes it: text-like for `text`, a string for the others, a string or number for `dataKey`. */
function checkedField(field: Field, value: unknown, call: string): string | number | undefined {
  if (field === 'text' && ['string', 'number', 'boolean', 'bigint'].includes(typeof value))
    return String(value);
  if (field === 'dataKey' && (value === undefined || typeof value === 'string' || Number.isFinite(value))) {
    return value as UserMessageDataKey | undefined;
  }
  if (field !== 'text' && field !== 'dataKey' && typeof value === 'string') return value;
  const expected =
    field === 'text'
      ? 'text (a string, number or boolean)'
      : field === 'dataKey'
        ? 'a string or a finite number (or undefined)'
        : 'a string';
  throw new BackgroundJobsError(
    'WBJ_BAD_ARGUMENT',
    `${call}: ${field} takes ${expected}, got ${describeValue(value)}`,
  );
}
