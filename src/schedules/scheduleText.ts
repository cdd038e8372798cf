import { BackgroundJobsError, describeValue } from '../errors';
import type { ScheduledJobSchedule } from './scheduleRule';
import type { DailySchedule, DailyWindow } from './dailyScheduleFields';

/** The language of a schedule's text: Russian (1C's `Строка(Расписание)`) or 1C's English. */
export type ScheduleLanguage = 'ru' | 'en';

/**
 * The words of each language. Those marked ✓ are 1C's own, read from real schedules: `Каждый день; каждые 1 800
 * секунд` (БСП's РассылкаОтчетовВызовСервера), and `каждый день; с 7:00:00 по 18:00:00 один раз в день, завершать
 * после 18:00:00` (a configuration's documented schedule: ВремяНачала, ВремяКонца, then ВремяЗавершения). The
 * others follow the same pattern. Written as БСП's ПредставлениеРасписания shows 1C's text: capitalised, single
 * spaces, no space before `]`.
 */
const WORDS = {
  ru: {
    everyDay: 'каждый день', // ✓
    everyDays: (days: string) => {
      const count = Number(days.replace(/\D/g, ''));
      return `${plural(count, 'каждый', 'каждые', 'каждые')} ${days} ${plural(count, 'день', 'дня', 'дней')}`;
    },
    weekDays: 'по дням недели', // ✓
    weekDayNames: ['понедельник', 'вторник', 'среда', 'четверг', 'пятница', 'суббота', 'воскресенье'], // ✓
    months: 'по месяцам',
    monthNames: [
      'январь',
      'февраль',
      'март',
      'апрель',
      'май',
      'июнь',
      'июль',
      'август',
      'сентябрь',
      'октябрь',
      'ноябрь',
      'декабрь',
    ],
    daysOfMonth: 'по дням месяца',
    everyWeeks: (weeks: string) => `каждую ${weeks}-ю неделю`,
    weekInMonth: (week: number) =>
      week === -1
        ? 'в последнюю неделю месяца'
        : week > 0
          ? `в ${week}-ю неделю месяца`
          : `в ${-week}-ю с конца неделю месяца`,
    from: 'с', // ✓
    until: 'по', // ✓
    onceADay: 'один раз в день', // ✓
    everySeconds: (seconds: string) => `каждые ${seconds} секунд`, // ✓ (1C writes "секунд" whatever the number)
    pause: (seconds: string) => `пауза ${seconds} секунд`,
    completionTime: 'завершать после', // ✓
    completionInterval: (seconds: string) => `завершать через ${seconds} секунд`,
    cron: (cron: string) => `по расписанию cron «${cron}»`,
    date: (date: string) => date.split('-').reverse().join('.'),
    // 1C groups thousands with a no-break space: Строка(1800) is "1 800".
    number: (value: number) => String(value).replace(/\B(?=(\d{3})+$)/g, '\u00a0'),
  },
  en: {
    everyDay: 'every day',
    everyDays: (days: string) => `every ${days} days`,
    weekDays: 'on week days',
    weekDayNames: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
    months: 'in months',
    monthNames: [
      'January',
      'February',
      'March',
      'April',
      'May',
      'June',
      'July',
      'August',
      'September',
      'October',
      'November',
      'December',
    ],
    daysOfMonth: 'on days of the month',
    everyWeeks: (weeks: string) => `every ${weeks} weeks`,
    weekInMonth: (week: number) =>
      week === -1
        ? 'in the last week of the month'
        : week > 0
          ? `in week ${week} of the month`
          : `in week ${-week} from the end of the month`,
    from: 'from',
    until: 'to',
    onceADay: 'once a day',
    everySeconds: (seconds: string) => `every ${seconds} seconds`,
    pause: (seconds: string) => `pause ${seconds} seconds`,
    completionTime: 'complete after',
    completionInterval: (seconds: string) => `complete in ${seconds} seconds`,
    cron: (cron: string) => `cron "${cron}"`,
    date: (date: string) => {
      const [year, month, day] = date.split('-').map(Number);
      return `${month}/${day}/${year}`;
    },
    number: (value: number) => value.toLocaleString('en-US'),
  },
} as const;

type Words = (typeof WORDS)[ScheduleLanguage];

/**
 * A schedule in words, as 1C's `Строка(Расписание)` gives it: `Каждый день; с 3:00:00 один раз в день`, or in 1C's
 * English `Every day; from 3:00:00 once a day`. The days come first, then each window of the day.
 */
export function scheduleText(schedule: ScheduledJobSchedule, language: ScheduleLanguage = 'ru'): string {
  if (language !== 'ru' && language !== 'en') {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `A schedule's toString(language) takes 'ru' (the default) or 'en', got ${describeValue(language)}`,
    );
  }
  const words = WORDS[language];
  const zone = schedule.timezone === undefined ? '' : ` (${schedule.timezone})`;
  if ('cron' in schedule) return capitalised(words.cron(schedule.cron)) + zone;
  const windows = schedule.detailedDailySchedules ?? [schedule];
  return (
    capitalised([daysText(schedule, words), ...windows.map((each) => windowText(each, words))].join('; ')) +
    zone
  );
}

function daysText(schedule: DailySchedule, words: Words): string {
  const period = schedule.daysRepeatPeriod ?? 1;
  const parts = [period === 1 ? words.everyDay : words.everyDays(words.number(period))];
  if (schedule.weeksPeriod !== undefined && schedule.weeksPeriod > 1)
    parts.push(words.everyWeeks(words.number(schedule.weeksPeriod)));
  const list = (name: string, items: readonly string[]): string => `${name} [${items.join(', ')}]`;
  if (schedule.weekDays !== undefined && schedule.weekDays.length < 7)
    parts.push(
      list(
        words.weekDays,
        schedule.weekDays.map((day) => words.weekDayNames[day - 1]),
      ),
    );
  if (schedule.weekDayInMonth !== undefined) parts.push(words.weekInMonth(schedule.weekDayInMonth));
  if (schedule.daysOfMonth !== undefined)
    parts.push(list(words.daysOfMonth, schedule.daysOfMonth.map(String)));
  if (schedule.months !== undefined && schedule.months.length < 12)
    parts.push(
      list(
        words.months,
        schedule.months.map((month) => words.monthNames[month - 1]),
      ),
    );
  if (schedule.beginDate !== undefined) parts.push(`${words.from} ${words.date(schedule.beginDate)}`);
  if (schedule.endDate !== undefined) parts.push(`${words.until} ${words.date(schedule.endDate)}`);
  return parts.join(', ');
}

function windowText(window: DailyWindow, words: Words): string {
  // 1C: `с 7:00:00 по 18:00:00 один раз в день`, the window before how often.
  const bounds = [
    ...(window.beginTime === undefined ? [] : [`${words.from} ${clock(window.beginTime)}`]),
    ...(window.endTime === undefined ? [] : [`${words.until} ${clock(window.endTime)}`]),
  ];
  const start = bounds.length === 0 ? '' : `${bounds.join(' ')} `;
  const repeat =
    window.repeatPeriodSeconds === undefined
      ? words.onceADay
      : words.everySeconds(words.number(window.repeatPeriodSeconds));
  const parts = [start + repeat];
  if (window.repeatPause !== undefined) parts.push(words.pause(words.number(window.repeatPause)));
  if (window.completionTime !== undefined)
    parts.push(`${words.completionTime} ${clock(window.completionTime)}`);
  if (window.completionInterval !== undefined)
    parts.push(words.completionInterval(words.number(window.completionInterval)));
  return parts.join(', ');
}

/** `03:00:00` as 1C writes a time: `3:00:00`. */
function clock(time: string): string {
  return time.replace(/^0(\d)/, '$1');
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function plural(count: number, one: string, few: string, many: string): string {
  const [tens, units] = [count % 100, count % 10];
  if (tens >= 11 && tens <= 14) return many;
  return units === 1 ? one : units >= 2 && units <= 4 ? few : many;
}
