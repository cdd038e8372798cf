/**
 * The one table of 1C names: for each English member, its 1C Russian name and its 1C English (PascalCase)
 * name. Runtime aliases ({@link applyAliases}), their types ({@link AliasMembers}) and the filter keys all come
 * from here, so a name added here is added everywhere.
 */
export const ALIASES = {
  /**
   * The package's exports: classes and functions under their 1C names (src/index.ts exports each alias; a test
   * holds it to this table). 1C's own names carry no `Web`; the `…Web` names of the first release stay.
   */
  exports: {
    BackgroundJobsManager: ['МенеджерФоновыхЗаданий', 'МенеджерФоновыхЗаданийWeb'],
    BackgroundJob: ['ФоновоеЗадание', 'ФоновоеЗаданиеWeb'],
    BackgroundJobState: ['СостояниеФоновогоЗадания'],
    ScheduledJob: ['РегламентноеЗадание', 'РегламентноеЗаданиеWeb'],
    JobSchedule: ['РасписаниеРегламентногоЗадания'],
    message: ['Сообщить', 'Message'],
    progress: ['СообщитьПрогресс'],
    // ИнформацияОбОшибке and СообщениеПользователю: 1C's global functions on errors, and the message class.
    detailErrorDescription: ['ПодробноеПредставлениеОшибки', 'DetailErrorDescription'],
    briefErrorDescription: ['КраткоеПредставлениеОшибки', 'BriefErrorDescription'],
    UserMessage: ['СообщениеПользователю'],
    /** Inside a job: the manager running it (src/jobs/ownManager.ts). */
    BackgroundJobs: ['ФоновыеЗадания'],
  },
  /** МенеджерФоновыхЗаданий */
  manager: {
    execute: ['Выполнить', 'Execute'],
    waitForCompletion: ['ОжидатьЗавершения', 'WaitForCompletion'],
    waitForExecutionCompletion: ['ОжидатьЗавершенияВыполнения', 'WaitForExecutionCompletion'],
    getBackgroundJobs: ['ПолучитьФоновыеЗадания', 'GetBackgroundJobs'],
    findByUUID: ['НайтиПоУникальномуИдентификатору', 'FindByUUID'],
    getCurrent: ['ПолучитьТекущее', 'GetCurrent'],
    scheduledJobs: ['РегламентныеЗадания', 'ScheduledJobs'],
    // OneScript's МенеджерФоновыхЗаданий
    waitForAny: ['ОжидатьЛюбое', 'WaitAny', 'WaitForAny'],
    clear: ['Очистить', 'Clear'],
  },
  /** РегламентныеЗадания (the manager of scheduled jobs) */
  scheduledJobs: {
    create: ['СоздатьРегламентноеЗадание', 'Создать', 'CreateScheduledJob', 'Create'],
    get: ['ПолучитьРегламентныеЗадания', 'GetScheduledJobs'],
    findByUUID: ['НайтиПоУникальномуИдентификатору', 'FindByUUID'],
    findByName: ['НайтиПоИмени', 'FindByName'],
    findPredefined: ['НайтиПредопределенное', 'FindPredefined'],
  },
  /** РегламентноеЗадание */
  scheduledJob: {
    uuid: ['УникальныйИдентификатор', 'UUID'],
    name: ['Имя', 'Name'],
    methodName: ['ИмяМетода', 'MethodName'],
    key: ['Ключ', 'Key'],
    description: ['Наименование', 'Description'],
    params: ['Параметры', 'Parameters'],
    use: ['Использование', 'Use'],
    schedule: ['Расписание', 'Schedule'],
    predefined: ['Предопределенное', 'Predefined'],
    lastJob: ['ПоследнееЗадание', 'LastJob'],
    write: ['Записать', 'Write'],
    delete: ['Удалить', 'Delete'],
    runNow: ['ВыполнитьСейчас', 'RunNow'],
    metadata: ['Метаданные', 'Metadata'],
    userName: ['ИмяПользователя', 'UserName'],
    restartCountOnFailure: ['КоличествоПовторовПриАварийномЗавершении', 'RestartCountOnFailure'],
    restartIntervalOnFailure: ['ИнтервалПовтораПриАварийномЗавершении', 'RestartIntervalOnFailure'],
  },
  /** РасписаниеРегламентногоЗадания: the fields of a 1C-style schedule. */
  schedule: {
    repeatPeriodSeconds: ['ПериодПовтораВТечениеДня', 'RepeatPeriodInDay'],
    beginTime: ['ВремяНачала', 'BeginTime'],
    endTime: ['ВремяКонца', 'EndTime'],
    weekDays: ['ДниНедели', 'WeekDays'],
    months: ['Месяцы', 'Months'],
    daysOfMonth: ['ДеньВМесяце', 'DayInMonth'],
    beginDate: ['ДатаНачала', 'BeginDate'],
    endDate: ['ДатаКонца', 'EndDate'],
    daysRepeatPeriod: ['ПериодПовтораДней', 'DaysRepeatPeriod'],
    weeksPeriod: ['ПериодНедель', 'WeeksPeriod'],
    weekDayInMonth: ['ДеньНеделиВМесяце', 'WeekDayInMonth'],
    repeatPause: ['ПаузаПовтора', 'RepeatPause'],
    completionTime: ['ВремяЗавершения', 'CompletionTime'],
    completionInterval: ['ИнтервалЗавершения', 'CompletionInterval'],
    detailedDailySchedules: ['ДетальныеРасписанияДня', 'DetailedDailySchedules'],
  },
  /** ФоновоеЗадание */
  job: {
    uuid: ['УникальныйИдентификатор', 'UUID'],
    methodName: ['ИмяМетода', 'MethodName'],
    key: ['Ключ', 'Key'],
    description: ['Наименование', 'Description'],
    begin: ['Начало', 'Begin'],
    end: ['Конец', 'End'],
    state: ['Состояние', 'State'],
    errorInfo: ['ИнформацияОбОшибке', 'ErrorInfo'],
    result: ['Результат', 'Result'],
    dataSeparation: ['РазделениеДанных', 'DataSeparation'],
    scheduledJob: ['РегламентноеЗадание', 'ScheduledJob'],
    waitForCompletion: ['ОжидатьЗавершения', 'WaitForCompletion'],
    cancel: ['Отменить', 'Cancel'],
    getUserMessages: ['ПолучитьСообщенияПользователю', 'GetUserMessages'],
    waitForExecutionCompletion: ['ОжидатьЗавершенияВыполнения', 'WaitForExecutionCompletion'],
    // Beyond 1C's ФоновоеЗадание: the scheduled job's ИмяПользователя, which a 1C run gets as its session's user.
    userName: ['ИмяПользователя', 'UserName'],
    // Beyond 1C: who the job belongs to (execute's owner); a 1C job runs in its user's session instead.
    owner: ['Владелец', 'Owner'],
  },
  /** ИнформацияОбОшибке: the fields of a job's errorInfo (1C has these five; the rest are beyond 1C). */
  errorInfo: {
    description: ['Описание', 'Description'],
    moduleName: ['ИмяМодуля', 'ModuleName'],
    lineNumber: ['НомерСтроки', 'LineNumber'],
    sourceLine: ['ИсходнаяСтрока', 'SourceLine'],
    cause: ['Причина', 'Cause'],
  },
  /** СообщениеПользователю: a message a handler sends and its job's reader receives. */
  userMessage: {
    text: ['Текст', 'Text'],
    field: ['Поле', 'Field'],
    dataPath: ['ПутьКДанным', 'DataPath'],
    dataKey: ['КлючДанных', 'DataKey'],
    targetId: ['ИдентификаторНазначения', 'TargetID'],
    send: ['Сообщить', 'Message'],
  },
  /** СостояниеФоновогоЗадания: the 1C English names are the values themselves. */
  state: {
    Active: ['Активно'],
    Completed: ['Завершено'],
    Failed: ['ЗавершеноАварийно'],
    Canceled: ['Отменено'],
  },
} as const;

type AliasTable = { readonly [member: string]: readonly string[] };

/** The alias members of `T` named by table `M`, each typed as the member it forwards to. */
export type AliasMembers<T, M extends AliasTable, Writable extends keyof M & keyof T = never> = {
  readonly [K in Exclude<keyof M & keyof T, Writable> as M[K][number]]: T[K];
} & {
  // The members users assign (`job.Использование = false`), whose aliases assign them too.
  [K in Writable as M[K][number]]: T[K];
};

/**
 * Defines every alias of `table` on `target`: a method alias is the same function, any other member gets a
 * getter that reads the English member (and a setter that writes it, where the member has one), so aliases can
 * never drift from it.
 */
export function applyAliases(target: object, table: AliasTable): void {
  for (const [member, names] of Object.entries(table)) {
    const descriptor = Object.getOwnPropertyDescriptor(target, member);
    const alias: PropertyDescriptor =
      typeof descriptor?.value === 'function'
        ? { value: descriptor.value, writable: false }
        : {
            get(this: Record<string, unknown>) {
              return this[member];
            },
            ...(descriptor?.set && {
              set(this: Record<string, unknown>, value: unknown) {
                this[member] = value;
              },
            }),
          };
    // Configurable, so sealMembers can give a read-only alias a setter that throws.
    for (const name of names)
      Object.defineProperty(target, name, { ...alias, enumerable: false, configurable: true });
  }
}

/** Maps a 1C name (Russian or English) of a member in `table` to the English member; English names map to themselves. */
export function englishName<M extends AliasTable>(table: M, name: string): (keyof M & string) | undefined {
  for (const [member, names] of Object.entries(table)) {
    if (member === name || names.includes(name)) return member as keyof M & string;
  }
  return undefined;
}
