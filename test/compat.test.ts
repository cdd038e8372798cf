import {
  BackgroundJob,
  BackgroundJobsManager,
  BackgroundJobState,
  message,
  Message,
  МенеджерФоновыхЗаданийWeb,
  Сообщить,
  СостояниеФоновогоЗадания,
  ФоновоеЗаданиеWeb,
} from 'web-background-jobs';
import { ALIASES } from '../src/compat/aliases';
import { createManager } from './helpers';

describe('the 1C names', () => {
  test('the classes, the state and message are exported under their 1C names', () => {
    expect(МенеджерФоновыхЗаданийWeb).toBe(BackgroundJobsManager);
    expect(ФоновоеЗаданиеWeb).toBe(BackgroundJob);
    expect(СостояниеФоновогоЗадания).toBe(BackgroundJobState);
    expect(Сообщить).toBe(message);
    expect(Message).toBe(message);
  });

  test('every manager method answers to its 1C Russian and English names', () => {
    const manager = createManager() as unknown as Record<string, unknown>;
    for (const [member, names] of Object.entries(ALIASES.manager)) {
      for (const name of names) expect([name, manager[name]]).toEqual([name, manager[member]]);
    }
  });

  test('every job member answers to its 1C Russian and English names', async () => {
    const manager = createManager();
    const job = await manager.execute('Jobs.Fail', ['x'], 'K', 'D');
    await job.waitForCompletion().catch(() => undefined);
    const record = job as unknown as Record<string, unknown>;
    for (const [member, names] of Object.entries(ALIASES.job)) {
      for (const name of names) expect([name, record[name]]).toEqual([name, record[member]]);
    }
    expect(job.ИнформацияОбОшибке?.description).toBe('x');
  });

  test('the states answer to their 1C names', () => {
    expect(СостояниеФоновогоЗадания.Активно).toBe('Active');
    expect(СостояниеФоновогоЗадания.Завершено).toBe('Completed');
    expect(СостояниеФоновогоЗадания.ЗавершеноАварийно).toBe('Failed');
    expect(СостояниеФоновогоЗадания.Отменено).toBe('Canceled');
    expect(Object.isFrozen(BackgroundJobState)).toBe(true);
  });

  test('1C member names are typed for TypeScript users', async () => {
    const manager = createManager();
    const job: BackgroundJob = await manager.Выполнить('Reports.Build', [1, 'typed']);
    await job.ОжидатьЗавершения();
    const state: BackgroundJobState = job.Состояние;
    const found: BackgroundJob | undefined = await manager.НайтиПоУникальномуИдентификатору(
      job.УникальныйИдентификатор,
    );
    expect([state, found]).toEqual([BackgroundJobState.Completed, job]);
  });
});
