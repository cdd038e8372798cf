/** The dashboard's words, in the two languages its users read. */
export const LABELS = {
  en: {
    title: 'Background jobs',
    state: 'State',
    allStates: 'All states',
    Active: 'Active',
    Completed: 'Completed',
    Failed: 'Failed',
    Canceled: 'Canceled',
    search: 'Search method, key, description, UUID',
    method: 'Method',
    key: 'Key',
    description: 'Description',
    begin: 'Begin',
    end: 'End',
    duration: 'Duration',
    scheduledJob: 'Scheduled job',
    userName: 'User',
    progress: 'Progress',
    messages: 'Messages',
    result: 'Result',
    error: 'Error',
    module: 'Module',
    line: 'Line',
    sourceLine: 'Source line',
    stack: 'Stack',
    cancel: 'Cancel',
    close: 'Close',
    newer: 'Newer',
    older: 'Older',
    olderMessages: 'Older messages',
    shown: 'shown',
    of: 'of',
    none: 'No jobs',
    queued: 'queued',
    readOnly: 'read-only',
    updated: 'Updated',
  },
  ru: {
    title: 'Фоновые задания',
    state: 'Состояние',
    allStates: 'Все состояния',
    Active: 'Активно',
    Completed: 'Завершено',
    Failed: 'Завершено аварийно',
    Canceled: 'Отменено',
    search: 'Поиск по методу, ключу, наименованию, UUID',
    method: 'Имя метода',
    key: 'Ключ',
    description: 'Наименование',
    begin: 'Начало',
    end: 'Конец',
    duration: 'Длительность',
    scheduledJob: 'Регламентное задание',
    userName: 'Имя пользователя',
    progress: 'Прогресс',
    messages: 'Сообщения пользователю',
    result: 'Результат',
    error: 'Информация об ошибке',
    module: 'Модуль',
    line: 'Строка',
    sourceLine: 'Исходная строка',
    stack: 'Стек',
    cancel: 'Отменить',
    close: 'Закрыть',
    newer: 'Новее',
    older: 'Старше',
    olderMessages: 'Более ранние сообщения',
    shown: 'показано',
    of: 'из',
    none: 'Заданий нет',
    queued: 'в очереди',
    readOnly: 'только просмотр',
    updated: 'Обновлено',
  },
} as const;

export type Language = keyof typeof LABELS;
export type Labels = Record<keyof (typeof LABELS)['en'], string>;

/** `?lang=ru|en` first, then the first of Accept-Language's languages we have, else English. */
export function chooseLanguage(query: unknown, acceptLanguage: string | undefined): Language {
  if (query === 'ru' || query === 'en') return query;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.trim().slice(0, 2).toLowerCase();
    if (tag === 'ru' || tag === 'en') return tag;
  }
  return 'en';
}
