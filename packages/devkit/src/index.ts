// Development and test plumbing shared by `pnpm start`, the test suite and the benchmark: an embedded
// PostgreSQL when no URL is configured, databases and migrations, secrets, and service processes.
export { isPostgresProcess, relocatedDataDirOf, startEmbeddedPostgres, type EmbeddedServer } from './embedded';
export { ensureDatabase, applyMigrations, dropDatabase } from './migrate';
export { migrateSaleLinesOnline, SALE_LINES_MIGRATION, saleLinesShape, type OnlineStep } from './online-migration';
export { assertPortsFree, freePort } from './ports';
export { processCmdline, terminate, whenLauncherGone } from './processes';
export { StartError, startLock, type StartLockState } from './start-lock';
export {
  DATABASE_PASSWORDS,
  SERVICE_CREDENTIALS,
  credentialsOf,
  databasePasswordOf,
  generateSecrets,
  loadOrCreateSecrets,
  type DatabasePassword,
  type Secrets,
  type ServiceCredential,
} from './secrets';
export { adoptSuperuserPassword, ensureServiceRole } from './roles';
export { EXPOSURE_OPT_OUT, developmentDefaultsInForce, exposureRefusal, isLoopbackHost } from './exposure';
export {
  COMPILED_NODE_FLAGS,
  HEAP_FLAGS,
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
export { parseStartConfig, startConfigSchema, type StartConfig } from './start-config';
export { backup, DUMP_ORDER, MANIFEST, serverMajor, sha256Of, type DumpEntry, type Manifest } from './backup';
export { backupTargets, type BackupTargets } from './backup-targets';
export { cacheDir, majorOf, resolvePgTools, type PgTools } from './pg-tools';
export { restore, RestoreRefused, verifyBackup, type RestoreResult } from './restore';
export { SALES_ENV_FILE, forgetSalesEnv, recordSalesEnv } from './running-env';
