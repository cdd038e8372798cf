// Loaded before every test file (package.json: jest.setupFilesAfterEnv).
import type { Tester } from 'expect';
import { BackgroundJob, ScheduledJob } from 'web-background-jobs';

/**
 * Jobs and scheduled jobs keep their members on their prototype (they are sealed), so Jest's toEqual, which
 * compares own properties, would find any two of them equal: two of them are equal when they are the same job.
 */
const sameJob: Tester = (a, b) => {
  for (const Class of [BackgroundJob, ScheduledJob]) {
    if (a instanceof Class && b instanceof Class) return a.uuid === b.uuid;
  }
  return undefined;
};

(expect as unknown as { addEqualityTesters(testers: Tester[]): void }).addEqualityTesters([sameJob]);
