import type { BackgroundJob } from 'web-background-jobs';
import { createManager, describeEachIsolation } from '../helpers';
import { assignmentError } from '../sealing';

describeEachIsolation('a background job refuses assignments that would change nothing', (isolation) => {
  let job: BackgroundJob;
  beforeEach(async () => {
    job = await createManager({ isolation }).execute('Reports.Build', [1, 'sealed']);
    await job.waitForCompletion();
  });

  test('assigning a member a job does not have throws WBJ_BAD_ARGUMENT naming it', () => {
    const { code, message } = assignmentError(job, 'КоличествоПовторов', 3);
    expect(code).toBe('WBJ_BAD_ARGUMENT');
    expect(message).toContain('"КоличествоПовторов"');
    expect(message).toContain('ФоновоеЗадание');
    expect(job).not.toHaveProperty('КоличествоПовторов');
  });

  test('a misspelt member is refused with the members it is one edit from', () => {
    expect(assignmentError(job, 'Состояни', 'Completed').message).toContain('did you mean Состояние?');
    expect(assignmentError(job, 'stae', 'Completed').message).toMatch(/did you mean state or State\?/);
  });

  test('assigning a read-only member, by its English or 1C name, throws instead of being ignored', () => {
    const before = job.state;
    for (const member of ['state', 'Состояние', 'State', 'uuid', 'УникальныйИдентификатор', 'result']) {
      const { code, message } = assignmentError(job, member, 'changed');
      expect([member, code, message]).toEqual([
        member,
        'WBJ_BAD_ARGUMENT',
        expect.stringContaining('read-only'),
      ]);
    }
    expect(job.state).toBe(before);
  });

  test('methods cannot be replaced on a job, by any of their names', () => {
    for (const member of ['cancel', 'Отменить', 'waitForCompletion', 'toString']) {
      expect(assignmentError(job, member, () => undefined).message).toContain(`member ${member} `);
    }
    expect(typeof job.Отменить).toBe('function');
  });

  test('outside strict mode the assignment throws too, instead of being dropped silently', () => {
    // A Function body is sloppy code, as a CommonJS handler file without 'use strict' is.
    const assignSloppily = new Function('job', 'job.КоличествоПовторов = 3; job.Состояние = 1;');
    expect(() => assignSloppily(job)).toThrow(/КоличествоПовторов/);
  });

  test('a job cannot be extended nor unsealed: no own property shadows a member, no prototype is swapped', () => {
    expect(() => Object.defineProperty(job, 'state', { value: 'Completed' })).toThrow(TypeError);
    expect(() => Object.setPrototypeOf(Object.getPrototypeOf(job), Object.prototype)).toThrow(TypeError);
    expect(assignmentError(job, Symbol('tag') as never, 1).code).toBe('WBJ_BAD_ARGUMENT');
    expect(Object.isExtensible(job)).toBe(false);
    expect(job.state).toBe('Completed');
  });
});
