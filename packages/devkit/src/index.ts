// Development and test plumbing shared by `pnpm start`, the test suite and the benchmark: an embedded
// PostgreSQL when no URL is configured, databases and migrations, secrets, and service processes.
export { isPostgresProcess, startEmbeddedPostgres, type EmbeddedServer } from './embedded';
export { ensureDatabase, applyMigrations, dropDatabase } from './migrate';
export { assertPortsFree, freePort } from './ports';
export { processCmdline, terminate, whenLauncherGone } from './processes';
export { StartError, startLock, type StartLockState } from './start-lock';
export { SERVICE_CREDENTIALS, credentialsOf, generateSecrets, loadOrCreateSecrets, type Secrets, type ServiceCredential } from './secrets';
export {
  COMPILED_NODE_FLAGS,
  SERVICES,
  SERVICE_NODE_FLAGS,
  exitDescription,
  startService,
  waitUntilReady,
  type ServiceName,
  type ServiceProcess,
} from './services';
export { superviseService, type SupervisedService } from './supervise';
export { formatLogLine, pipeServiceLogs } from './log-lines';
