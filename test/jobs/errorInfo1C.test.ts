import {
  BackgroundJobState,
  BriefErrorDescription,
  briefErrorDescription,
  DetailErrorDescription,
  detailErrorDescription,
  type ErrorInfo,
  КраткоеПредставлениеОшибки,
  ПодробноеПредставлениеОшибки,
} from 'web-background-jobs';
import { createManager, describeEachIsolation } from '../helpers';

// 1C code reads a failed job's ИнформацияОбОшибке by its 1C names, and describes errors with 1C's two functions.

/** ErrorInfo1C.FailWithCause throws on line 11, its cause made on line 10. */
const DETAIL =
  '{ErrorInfo1C.js(11)}: Не удалось провести документ\ncaused by: {ErrorInfo1C.js(10)}: RangeError: Деление на ноль';

describeEachIsolation('ИнформацияОбОшибке under its 1C names', (isolation) => {
  async function failedInfo(): Promise<ErrorInfo> {
    const manager = createManager({ isolation });
    const job = await manager.execute('ErrorInfo1C.FailWithCause');
    await job.waitForCompletion().catch(() => undefined);
    expect(job.state).toBe(BackgroundJobState.Failed);
    return job.ИнформацияОбОшибке!;
  }

  test('a failed job reads Описание, ИмяМодуля, НомерСтроки, ИсходнаяСтрока and Причина.Описание', async () => {
    const info = await failedInfo();
    expect([info.Описание, info.ИмяМодуля, info.НомерСтроки, info.ИсходнаяСтрока]).toEqual([
      'Не удалось провести документ',
      'ErrorInfo1C.js',
      11,
      "throw new Error('Не удалось провести документ', { cause });",
    ]);
    expect([info.Причина?.Описание, info.Причина?.НомерСтроки, info.Причина?.Причина]).toEqual([
      'Деление на ноль',
      10,
      undefined,
    ]);
  });

  test('the 1C English names read the same fields as the 1C Russian ones', async () => {
    const info = await failedInfo();
    expect([
      info.Description,
      info.ModuleName,
      info.LineNumber,
      info.SourceLine,
      info.Cause?.Description,
    ]).toEqual([
      'Не удалось провести документ',
      'ErrorInfo1C.js',
      11,
      "throw new Error('Не удалось провести документ', { cause });",
      'Деление на ноль',
    ]);
    expect([info.Description, info.Cause]).toEqual([info.Описание, info.Причина]);
  });

  test('JSON of the errorInfo shows its English fields only', async () => {
    const info = await failedInfo();
    expect(Object.keys(JSON.parse(JSON.stringify(info))).sort()).toEqual(
      [
        'cause',
        'description',
        'detailedDescription',
        'lineNumber',
        'moduleName',
        'sourceLine',
        'stack',
      ].sort(),
    );
    expect(Object.keys(info)).not.toContain('Описание');
    expect(JSON.stringify(info)).not.toMatch(/"(Описание|Description|Причина|Cause)"/);
  });

  test('the errorInfo that toJSON() and the dashboard send answers to the 1C names too, its cause too', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('ErrorInfo1C.FailWithCause');
    await job.waitForCompletion().catch(() => undefined);
    const shown = job.toJSON().errorInfo!;
    expect([shown.Описание, shown.ИмяМодуля, shown.Причина?.Описание]).toEqual([
      'Не удалось провести документ',
      'ErrorInfo1C.js',
      'Деление на ноль',
    ]);
    expect(JSON.stringify(job)).not.toMatch(/"(Описание|ИмяМодуля|Причина|Description|Cause)"/);
    const found = await manager.НайтиПоУникальномуИдентификатору(job.УникальныйИдентификатор);
    expect(found?.ИнформацияОбОшибке?.Причина?.Описание).toBe('Деление на ноль');
  });

  test('ПодробноеПредставлениеОшибки is {module(line)}: description with its causes; КраткоеПредставлениеОшибки the description', async () => {
    const info = await failedInfo();
    expect(ПодробноеПредставлениеОшибки(info)).toBe(DETAIL);
    expect(КраткоеПредставлениеОшибки(info)).toBe('Не удалось провести документ');
    expect(КраткоеПредставлениеОшибки(info.Причина!)).toBe('Деление на ноль');
  });

  test('inside a handler, both describe the error a catch caught, its module relative to the handlers folder', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('ErrorInfo1C.DescribeCaught');
    await job.waitForCompletion();
    expect(job.result).toEqual({
      detail: '{ErrorInfo1C.js(17)}: Нет связи с сервером',
      brief: 'Нет связи с сервером',
    });
  });

  test('inside a handler, a value that is not an error is refused with WBJ_BAD_ARGUMENT naming it', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('ErrorInfo1C.DescribeString');
    await job.waitForCompletion();
    expect(job.result).toBe(
      `WBJ_BAD_ARGUMENT: detailErrorDescription(info) takes a job's errorInfo or an Error, got "not an error"`,
    );
  });
});

describe('detailErrorDescription and briefErrorDescription', () => {
  test('are exported under their 1C Russian and English names', () => {
    expect([typeof detailErrorDescription, typeof briefErrorDescription]).toEqual(['function', 'function']);
    expect([ПодробноеПредставлениеОшибки, DetailErrorDescription]).toEqual([
      detailErrorDescription,
      detailErrorDescription,
    ]);
    expect([КраткоеПредставлениеОшибки, BriefErrorDescription]).toEqual([
      briefErrorDescription,
      briefErrorDescription,
    ]);
  });

  test('outside a job they describe an Error caught, a cause included', () => {
    const error = new Error('outer', { cause: new TypeError('inner') });
    expect(КраткоеПредставлениеОшибки(error)).toBe('outer');
    expect(ПодробноеПредставлениеОшибки(error)).toMatch(
      /^\{[^}]+\(\d+\)\}: outer\ncaused by: \{[^}]+\(\d+\)\}: TypeError: inner$/,
    );
  });

  test.each([
    ['undefined', undefined, 'undefined'],
    ['a string', 'boom', '"boom"'],
    ['a plain object', { description: 'x' }, 'an object (Object)'],
  ])('%s is refused with WBJ_BAD_ARGUMENT naming it', (_what, value, named) => {
    for (const fn of [detailErrorDescription, briefErrorDescription]) {
      expect(() => fn(value as never)).toThrow(
        expect.objectContaining({
          code: 'WBJ_BAD_ARGUMENT',
          message: `${fn.name}(info) takes a job's errorInfo or an Error, got ${named}`,
        }),
      );
    }
  });
});
