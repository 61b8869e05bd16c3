import { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { APP_ROLE } from '../config/config.ts';

export const JOB_SCHEMA = 'pgboss';

/** A queue and the handler that processes its jobs. Modules declare these. */
export interface JobDefinition<Data extends object = object> {
  queue: string;
  /** Parser and validator of the stored payload. A throw fails the job like any handler error. */
  parse: (data: unknown) => Data;
  // A method, not a function property, so its parameter is bivariant and a
  // JobDefinition<ReportData> fits the JobDefinition[] that start() takes.
  handle(data: Data, context: { jobId: string; logger: Logger }): Promise<void>;
  retryLimit?: number;
  expireInSeconds?: number;
  /** How often an idle worker polls for jobs; pg-boss's default is 2 seconds. */
  pollingIntervalSeconds?: number;
  /**
   * Five-field cron expression, in UTC, on which pg-boss sends the queue a
   * job whose data is an empty object. Installation registers it. Any
   * started JobQueue may send the job, and pg-boss sends one per fire.
   */
  cron?: string;
  /**
   * Wake idle workers through LISTEN/NOTIFY as soon as a job is sent,
   * instead of at their next poll. Polling still runs as a fallback.
   */
  notify?: boolean;
}

/** Queue settings that installation needs: its name, retry policy and cron, without the handler. */
export type QueueSpec = Pick<
  JobDefinition,
  'queue' | 'retryLimit' | 'expireInSeconds' | 'cron' | 'notify'
>;

const GRANT_APP_ROLE = `
  GRANT USAGE ON SCHEMA ${JOB_SCHEMA} TO ${APP_ROLE};
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${JOB_SCHEMA} TO ${APP_ROLE};
  GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${JOB_SCHEMA} TO ${APP_ROLE};
  GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${JOB_SCHEMA} TO ${APP_ROLE};
`;

/**
 * Install or upgrade pg-boss's schema as the owner role, create the queues
 * the modules declare with their cron schedules, and grant the application
 * role DML on the result. Queues are created here, so the application role
 * never needs DDL.
 */
export async function installJobSchema(
  ownerUrl: string,
  definitions: readonly QueueSpec[],
  logger: Logger,
) {
  const boss = new PgBoss({
    connectionString: ownerUrl,
    schema: JOB_SCHEMA,
    migrate: true,
    createSchema: true,
    supervise: false,
    schedule: false,
    application_name: 'peytonix-migrate',
  });
  boss.on('error', (error) => logger.error({ err: error }, 'job schema installation failed'));
  await boss.start();
  try {
    for (const definition of definitions) {
      const settings = {
        retryLimit: definition.retryLimit ?? 3,
        expireInSeconds: definition.expireInSeconds ?? 15 * 60,
        notify: definition.notify ?? false,
      };
      await boss.createQueue(definition.queue, settings);
      // createQueue leaves an existing queue as it was, so bring its settings up to date.
      await boss.updateQueue(definition.queue, settings);
      if (definition.cron !== undefined) {
        await boss.schedule(definition.queue, definition.cron, {}, { tz: 'UTC' });
      }
    }
    await boss.getDb().executeSql(GRANT_APP_ROLE);
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}

export interface JobQueueStatus {
  ready: boolean;
  reason?: string;
}

/**
 * pg-boss as the application role: sends jobs from any process, and runs
 * the workers when `workers` is true. It never migrates the schema.
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private readonly logger: Logger;
  private started = false;

  /**
   * `listen` keeps one extra connection open for LISTEN/NOTIFY, so workers of
   * queues declared with `notify` wake as soon as a job is sent. Processes
   * that run workers turn it on; one that only sends jobs does not need it.
   */
  constructor(appUrl: string, logger: Logger, options: { listen?: boolean } = {}) {
    this.logger = logger.child({ component: 'jobs' });
    this.boss = new PgBoss({
      connectionString: appUrl,
      schema: JOB_SCHEMA,
      migrate: false,
      createSchema: false,
      application_name: 'peytonix-jobs',
      max: 4,
      useListenNotify: options.listen ?? false,
    });
    this.boss.on('error', (error) => {
      this.logger.error({ err: error }, 'job queue error');
    });
  }

  async start(definitions: readonly JobDefinition[], runWorkers: boolean) {
    await this.boss.start();
    this.started = true;
    if (!runWorkers) return;

    for (const definition of definitions) {
      const workOptions =
        definition.pollingIntervalSeconds === undefined
          ? {}
          : {
              pollingIntervalSeconds: definition.pollingIntervalSeconds,
              // pg-boss 12.38.1 polls a notifying queue only every 30 s by
              // default, trusting NOTIFY for new jobs. Jobs sent before this
              // worker listened then wait 30 s each, so the backlog keeps
              // the queue's own interval.
              notifyPollingIntervalSeconds: definition.pollingIntervalSeconds,
            };
      await this.boss.work(definition.queue, workOptions, async (jobs) => {
        for (const job of jobs) {
          const jobLogger = this.logger.child({ queue: definition.queue, jobId: job.id });
          const data = definition.parse(job.data);
          await definition.handle(data, { jobId: job.id, logger: jobLogger });
          jobLogger.info('job completed');
        }
      });
    }
    this.logger.info(
      { queues: definitions.map((definition) => definition.queue) },
      'workers started',
    );
  }

  async send(queue: string, data: object): Promise<string> {
    const id = await this.boss.send(queue, data);
    if (id === null) {
      throw new Error(`queue ${queue} did not accept the job`);
    }
    return id;
  }

  async findJob(queue: string, id: string) {
    const [job] = await this.boss.findJobs(queue, { id });
    return job;
  }

  /** Ready when pg-boss has started; a schema older than this pg-boss makes start fail. */
  status(): JobQueueStatus {
    if (!this.started) return { ready: false, reason: 'job queue not started' };
    return { ready: true };
  }

  /**
   * Stop taking jobs and wait up to `timeoutMs` for running ones. Also
   * needed after a failed start(), which leaves pg-boss's pool open.
   */
  async stop(timeoutMs: number) {
    this.started = false;
    await this.boss.stop({ graceful: true, timeout: timeoutMs, close: true });
  }
}
