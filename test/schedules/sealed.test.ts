import type { ScheduledJob } from 'web-background-jobs';
import { createManager } from '../helpers';
import { assignmentError } from '../sealing';

// 1C raises "Поле объекта не обнаружено" for a field a scheduled job lacks; so do these objects, instead of
// adding a property nothing reads.

describe('a scheduled job refuses assignments that would change nothing', () => {
  let job: ScheduledJob;
  beforeEach(() => {
    job = createManager().scheduledJobs.create({
      name: 'Sealed',
      methodName: 'Reports.Build',
      schedule: { cron: '0 0 1 1 *' },
    });
  });

  test('a member it does not have (a typo of a real one, or a 1C field not supported) throws WBJ_BAD_ARGUMENT naming it', () => {
    const typo = assignmentError(job, 'КоличествоПовторов', 3);
    expect(typo.code).toBe('WBJ_BAD_ARGUMENT');
    expect(typo.message).toContain('"КоличествоПовторов"');
    expect(typo.message).toContain('РегламентноеЗадание');
    expect(job).not.toHaveProperty('КоличествоПовторов');
    expect(assignmentError(job, 'РазделениеДанных', {}).message).toContain('"РазделениеДанных"');
    expect(assignmentError(job, 'ИмяМетод', 'Reports.Echo').message).toContain('did you mean ИмяМетода?');
  });

  test('it cannot be extended: defineProperty cannot shadow a member the library reads, as use', () => {
    expect(() => Object.defineProperty(job, 'use', { value: false })).toThrow(TypeError);
    expect(() => Object.defineProperty(job, 'КоличествоПовторов', { value: 3 })).toThrow(TypeError);
    expect(job.use).toBe(true);
  });

  test('read-only members, by English or 1C name, throw and keep their value', () => {
    const before = job.toJSON();
    for (const member of [
      'uuid',
      'УникальныйИдентификатор',
      'name',
      'Имя',
      'predefined',
      'Предопределенное',
      'metadata',
      'Метаданные',
      'lastJob',
      'nextRun',
      'write',
      'Записать',
    ]) {
      const { code, message } = assignmentError(job, member, 'changed');
      expect([member, code, message]).toEqual([
        member,
        'WBJ_BAD_ARGUMENT',
        expect.stringContaining('read-only'),
      ]);
    }
    expect(job.toJSON()).toEqual(before);
  });

  test('assignable members still take a value, by English or 1C name', () => {
    job.КоличествоПовторовПриАварийномЗавершении = 3;
    job.RestartIntervalOnFailure = 10;
    job.Ключ = 'k';
    expect(job.toJSON()).toMatchObject({ restartCountOnFailure: 3, restartIntervalOnFailure: 10, key: 'k' });
  });

  test('outside strict mode the assignment throws too', () => {
    const assignSloppily = new Function('job', 'job.КоличествоПовторов = 3;');
    expect(() => assignSloppily(job)).toThrow(/КоличествоПовторов/);
  });
});

describe('the scheduled jobs of a manager refuse assignments that would change nothing', () => {
  test('an unknown member or a method, by any name, throws WBJ_BAD_ARGUMENT naming it', () => {
    const { scheduledJobs } = createManager();
    expect(assignmentError(scheduledJobs, 'НайтиПредопределеное', () => undefined).message).toContain(
      'did you mean НайтиПредопределенное?',
    );
    for (const member of ['create', 'СоздатьРегламентноеЗадание', 'ready']) {
      expect(assignmentError(scheduledJobs, member, 1).message).toContain(`member ${member} `);
    }
  });
});
