// The whole public API. 1C names are exported beside the English ones; members carry theirs via compat/aliases.
// The middleware factory is also the default export, as Express middleware usually is (ESM: see index.mts).
export {
  backgroundJobs,
  backgroundJobs as default,
  type BackgroundJobsMiddleware,
  type BackgroundJobsMiddlewareOptions,
} from './express/backgroundJobs';
export {
  backgroundJobsDashboard,
  type BackgroundJobsDashboardOptions,
} from './express/backgroundJobsDashboard';
export { backgroundJobsApi, type BackgroundJobsApiOptions, type OwnerId } from './express/backgroundJobsApi';
export {
  backgroundJobsMetrics,
  type BackgroundJobsMetricsOptions,
  type MetricsHandler,
} from './express/backgroundJobsMetrics';
export {
  registerMetrics,
  type MetricsOptions,
  type MetricsRegistry,
} from './manager/metrics/registerMetrics';
export {
  BackgroundJobsManager,
  BackgroundJobsManager as МенеджерФоновыхЗаданий,
  BackgroundJobsManager as МенеджерФоновыхЗаданийWeb,
} from './manager/BackgroundJobsManager';
export type { Backoff, ExecuteOptions, KeyConflictAction } from './jobs/ownManager';
export {
  BackgroundJob,
  BackgroundJob as ФоновоеЗадание,
  BackgroundJob as ФоновоеЗаданиеWeb,
  type JobProgress,
  type BackgroundJobData,
} from './jobs/BackgroundJob';
export {
  BackgroundJobState,
  BackgroundJobState as СостояниеФоновогоЗадания,
} from './jobs/BackgroundJobState';
export { currentJob, progress, progress as СообщитьПрогресс } from './jobs/jobContext';
// ИнформацияОбОшибке and СообщениеПользователю: the job's errors and messages, 1C's global functions on them.
export type { ErrorInfo, ErrorInfoFields } from './jobs/errorInfo';
export {
  briefErrorDescription,
  briefErrorDescription as КраткоеПредставлениеОшибки,
  briefErrorDescription as BriefErrorDescription,
  detailErrorDescription,
  detailErrorDescription as ПодробноеПредставлениеОшибки,
  detailErrorDescription as DetailErrorDescription,
} from './jobs/errorDescriptions';
export {
  message,
  message as Сообщить,
  message as Message,
  UserMessage,
  UserMessage as СообщениеПользователю,
  type UserMessageData,
  type UserMessageDataKey,
  type UserMessageFields,
  type UserMessageInit,
} from './jobs/UserMessage';
export {
  backgroundJobsOfJob as BackgroundJobs,
  backgroundJobsOfJob as ФоновыеЗадания,
  type OwnBackgroundJobs,
} from './jobs/ownManager';
export type { BackgroundJobFilter } from './jobs/jobFilter';
export type {
  BackgroundJobsEventName,
  BackgroundJobsEvents,
  BackgroundJobsListener,
  CanceledEvent,
  CompletedEvent,
  FailedEvent,
  JobEventBase,
  MessageEvent,
  ProgressEvent,
  QueuedEvent,
  ScheduledJobRef,
  ScheduledRunEvent,
  ScheduledSkipEvent,
  ScheduledSkipReason,
  StartedEvent,
} from './jobs/jobEvents';
export {
  BackgroundJobsError,
  BackgroundJobsKeyConflictError,
  BackgroundJobsWaitError,
  type BackgroundJobsErrorCode,
} from './errors';
export type {
  BackgroundJobsOptions,
  Isolation,
  LogFields,
  Logger,
  Settings,
  StructuredLogger,
} from './config/options';
export type { HandlerFunction } from './loader/HandlerResolver';
export { ScheduledJobs } from './manager/ScheduledJobs';
export type { ScheduledJobFilter } from './schedules/scheduledJobFilter';
export {
  ScheduledJob,
  ScheduledJob as РегламентноеЗадание,
  ScheduledJob as РегламентноеЗаданиеWeb,
} from './schedules/ScheduledJob';
export type { ScheduledJobData, ScheduledJobInit } from './schedules/scheduledJobData';
export type { ScheduledJobSchedule, CronSchedule } from './schedules/scheduleRule';
export type { ScheduleInput } from './schedules/checkSchedule';
export type {
  DailySchedule,
  DailyScheduleInput,
  DailyWindow,
  DailyWindowInput,
  TimeInput,
} from './schedules/dailyScheduleFields';
export {
  JobSchedule,
  JobSchedule as РасписаниеРегламентногоЗадания,
  type JobScheduleFields,
} from './schedules/JobSchedule';
export type { ScheduleLanguage } from './schedules/scheduleText';
