// The whole public API. 1C names are exported beside the English ones; members carry theirs via compat/aliases.
export { backgroundJobs, type BackgroundJobsMiddleware } from './express/backgroundJobs';
export {
  BackgroundJobsManager,
  BackgroundJobsManager as МенеджерФоновыхЗаданийWeb,
} from './jobs/BackgroundJobsManager';
export { BackgroundJob, BackgroundJob as ФоновоеЗаданиеWeb, type UserMessage } from './jobs/BackgroundJob';
export {
  BackgroundJobState,
  BackgroundJobState as СостояниеФоновогоЗадания,
} from './jobs/BackgroundJobState';
export { currentJob, message, message as Сообщить, message as Message } from './jobs/jobContext';
export type { ErrorInfo } from './jobs/errorInfo';
export type { BackgroundJobFilter } from './jobs/jobFilter';
export { BackgroundJobsWaitError } from './jobs/waits';
export { BackgroundJobsError, type BackgroundJobsErrorCode } from './errors';
export type { BackgroundJobsOptions, Logger, Settings } from './config/options';
export type { HandlerFunction } from './loader/HandlerResolver';
