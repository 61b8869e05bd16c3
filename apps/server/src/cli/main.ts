import { Command, CommanderError, Option } from 'commander';
import {
  AuditChainDamagedError,
  CheckpointKeyMismatchError,
} from '../modules/audit-trail/checkpoints/create-checkpoint.ts';
import { ConfigError } from '../platform/config/config-error.ts';
import { DataDirInUseError } from '../platform/db/database-target.ts';
import { EmbeddedClusterError } from '../platform/db/embedded/embedded-cluster.ts';
import { MigrationError } from '../platform/db/migrations.ts';
import { isAppError } from '../platform/http/app-error.ts';
import { KeyProviderError } from '../platform/keys/key-provider-error.ts';
import { KeyFileError } from '../platform/keys/local-signing-key.ts';
import { SealedSecretError } from '../platform/keys/sealed-secret.ts';
import { type CliIo, CommandFailure, EXIT } from './cli-io.ts';
import { asOption, dataDirOption, jsonOption } from './cli-options.ts';
import { runAdminCreate } from './commands/admin-create.ts';
import { runAdminGrant } from './commands/admin-grant.ts';
import { registerAuditCommands } from './commands/audit/register.ts';
import {
  runDatasetsImport,
  runDatasetsList,
  runDatasetsShow,
} from './commands/datasets/datasets-commands.ts';
import { parseOptionFlags } from './commands/datasets/parse-option-flags.ts';
import { runDemoSeed } from './commands/demo-seed.ts';
import { runEntitiesCreate, runEntitiesList } from './commands/entities.ts';
import { runExceptionsSummary } from './commands/exceptions/exceptions-summary.ts';
import { runExceptionsExport } from './commands/exceptions/export-command.ts';
import { registerExceptionWorkflowCommands } from './commands/exceptions/workflow-commands.ts';
import { runMigrate } from './commands/migrate.ts';
import {
  runExceptionsList,
  runRunsCancel,
  runRunsReperform,
  runRunsShow,
  runTestsList,
  runTestsRun,
} from './commands/runs/runs-commands.ts';
import {
  runTestsExport,
  runTestsImport,
  runTestsSubmit,
} from './commands/runs/test-definition-commands.ts';
import { runSessionsRotateKey } from './commands/sessions-rotate-key.ts';
import { runStart } from './commands/start.ts';
import { runVersion } from './commands/version.ts';
import { runWorker } from './commands/worker.ts';

/** Build the command tree; each action stores its exit code in `result`. */
function buildProgram(io: CliIo, result: { code: number }): Command {
  const program = new Command('peytonix')
    .description('Peytonix internal-audit and controls-testing platform')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError();

  program
    .command('start')
    .description('serve the API and the web app, and run background workers')
    .option('--port <port>', 'TCP port to listen on (PEYTONIX_PORT)')
    .option('--host <host>', 'address to listen on (PEYTONIX_HOST)')
    .addOption(dataDirOption())
    .action(async (options) => {
      result.code = await runStart(io, options);
    });

  program
    .command('worker')
    .description('run background job workers without the HTTP server')
    .addOption(dataDirOption())
    .action(async (options) => {
      result.code = await runWorker(io, options);
    });

  program
    .command('migrate')
    .description('apply pending database migrations as the owner role')
    .option('--check', 'only report pending or edited migrations; exit 1 if there are any')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runMigrate(io, options);
    });

  const admin = program.command('admin').description('administration commands');
  admin
    .command('create')
    .description('create the first administrator and print a one-time setup secret')
    .requiredOption('--email <email>', 'email address of the administrator')
    .option('--name <name>', 'display name (default: the email address)')
    .option(
      '--organization <name>',
      'name of the organization root, if none exists',
      'Organization',
    )
    .option('--organization-code <code>', 'code of the organization root, if none exists', 'ORG')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runAdminCreate(io, options);
    });
  admin
    .command('grant')
    .description(
      'grant a role at once when no one but you could approve a request for it, as in a new organization',
    )
    .requiredOption('--email <email>', 'email address of the user who receives the role')
    .requiredOption('--role <role>', 'role to grant, such as reviewer or administrator')
    .requiredOption('--entity <code>', 'code of the entity the role applies to, and below it')
    .requiredOption('--justification <text>', 'why the grant is needed; the audit trail keeps it')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runAdminGrant(io, options);
    });

  const sessions = program.command('sessions').description('sign-in sessions and their keys');
  sessions
    .command('rotate-key')
    .description(
      'create a new access-token signing key; older keys verify until their tokens expire',
    )
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runSessionsRotateKey(io, options);
    });

  const entities = program.command('entities').description('the entity tree');
  entities
    .command('list')
    .description("list the entities in the acting user's scope")
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runEntitiesList(io, options);
    });
  entities
    .command('create')
    .description('add a business unit, subsidiary or engagement below an existing entity')
    .requiredOption('--parent <code>', 'code of the parent entity')
    .addOption(
      new Option('--type <type>', 'entity type')
        .choices(['business_unit', 'subsidiary', 'engagement'])
        .makeOptionMandatory(),
    )
    .requiredOption('--code <code>', 'unique code, such as BU-EMEA')
    .requiredOption('--name <name>', 'display name')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runEntitiesCreate(io, options);
    });

  const datasets = program.command('datasets').description('imported extracts and their versions');
  const importCommand = datasets
    .command('import <file>')
    .description('import a CSV, TSV, Parquet, JSON Lines or XLSX file as a new dataset version')
    .requiredOption('--entity <code>', 'code of the entity that owns the dataset')
    .requiredOption('--name <name>', 'dataset name; a new name creates the dataset')
    .option('--description <text>', 'description of a new dataset');
  for (const option of parseOptionFlags()) importCommand.addOption(option);
  importCommand
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (file: string, options) => {
      result.code = await runDatasetsImport(io, file, options);
    });
  datasets
    .command('list')
    .description("list the datasets in the acting user's scope")
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runDatasetsList(io, options);
    });
  datasets
    .command('show <name>')
    .description('show a dataset: its versions, fingerprints and column types')
    .requiredOption('--entity <code>', 'code of the entity that owns the dataset')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (name: string, options) => {
      result.code = await runDatasetsShow(io, name, options);
    });

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const tests = program.command('tests').description('audit tests and their runs');
  tests
    .command('list')
    .description("list the tests in the acting user's scope and the library templates")
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runTestsList(io, options);
    });
  tests
    .command('run <test>')
    .description(
      'run a test, or a library template by its key, and print the run id, status, exception count and result hash',
    )
    .requiredOption('--entity <code>', 'code of the entity whose test and datasets to use')
    .option(
      '--input <name=dataset[@version]>',
      'bind an input to a dataset, latest version unless given; repeatable',
      collect,
    )
    .option(
      '--map <field=column>',
      'map a field (or input.field) to a dataset column; repeatable',
      collect,
    )
    .option('--param <name=value>', 'set a parameter; repeatable', collect)
    .option('--preview', 'run without creating exceptions; the rows are kept apart')
    .option(
      '--wait',
      'wait for the run to finish, working the run queue meanwhile, and print its result',
    )
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (test: string, options) => {
      result.code = await runTestsRun(io, test, options);
    });

  tests
    .command('import <file>')
    .description('store a YAML or JSON test definition as a new draft version of its test')
    .requiredOption('--entity <code>', 'code of the entity that owns the test')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (file: string, options) => {
      result.code = await runTestsImport(io, file, options);
    });
  tests
    .command('export <test>')
    .description('write a test version as YAML: the active one unless --version')
    .requiredOption('--entity <code>', 'code of the entity that owns the test')
    .option('--version <n>', 'version number to export')
    .option('--out <file>', 'write to this new file instead of standard output')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (test: string, options) => {
      result.code = await runTestsExport(io, test, options);
    });
  tests
    .command('submit')
    .description(
      'request activation of a draft test version; another person approves the change request',
    )
    .requiredOption('--entity <code>', 'code of the entity that owns the test')
    .requiredOption('--test <key>', 'key of the test')
    .requiredOption('--version <n>', 'number of the draft version to activate')
    .requiredOption(
      '--justification <text>',
      'why the version should become active, for the approver',
    )
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runTestsSubmit(io, options);
    });

  const runs = program.command('runs').description('test runs');
  runs
    .command('show <runId>')
    .description('show what a run executed on which data, and its result')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (runId: string, options) => {
      result.code = await runRunsShow(io, runId, options);
    });
  runs
    .command('cancel <runId>')
    .description(
      'cancel a queued or running run; it records no result, and a running query stops within about a second',
    )
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (runId: string, options) => {
      result.code = await runRunsCancel(io, runId, options);
    });
  runs
    .command('reperform <runId>')
    .description(
      'run the same SQL on the same dataset versions again; exit 0 only if the result hash is identical',
    )
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (runId: string, options) => {
      result.code = await runRunsReperform(io, runId, options);
    });

  const exceptionsCommand = program
    .command('exceptions')
    .description('exceptions that runs flagged');
  exceptionsCommand
    .command('list')
    .description(
      "list a run's flagged rows: exceptions with new, recurring or reopened, or a preview's rows",
    )
    .requiredOption('--run <runId>', 'the run')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runExceptionsList(io, options);
    });
  exceptionsCommand
    .command('export')
    .description(
      "write a test's exceptions (--entity and --test) or a run's (--run) to a new CSV or XLSX file",
    )
    .option('--entity <code>', 'code of the entity that owns the test')
    .option('--test <key>', 'key of the test whose exceptions to export')
    .option('--run <runId>', 'id of the run whose flagged exceptions to export')
    .addOption(
      new Option('--format <format>', 'file format').choices(['csv', 'xlsx']).makeOptionMandatory(),
    )
    .requiredOption('--out <file>', 'path of the file to create; it must not exist yet')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runExceptionsExport(io, options);
    });
  registerExceptionWorkflowCommands(exceptionsCommand, io, result);
  exceptionsCommand
    .command('summary')
    .description(
      'count the exceptions of an entity and the entities below it: in total, not closed and overdue, by status, severity, entity and test',
    )
    .requiredOption('--entity <code>', 'code of the entity whose subtree is counted')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runExceptionsSummary(io, options);
    });

  const demo = program.command('demo').description('a demo workspace with synthetic data');
  demo
    .command('seed')
    .description(
      'create or complete the demo workspace: entities, one user per role, synthetic datasets with planted anomalies, and a run of every library test; a second run changes nothing',
    )
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runDemoSeed(io, options);
    });

  registerAuditCommands(program, io, result);

  program
    .command('version')
    .description('print the version')
    .addOption(jsonOption())
    .action((options) => {
      result.code = runVersion(io, options);
    });

  return program;
}

function failureCode(error: unknown): { code: string; exit: number } {
  if (error instanceof ConfigError) return { code: 'CONFIG_INVALID', exit: EXIT.usage };
  if (isAppError(error)) {
    return {
      code: error.code,
      exit: error.code === 'VALIDATION_FAILED' ? EXIT.usage : EXIT.failed,
    };
  }
  if (error instanceof CommandFailure) return { code: error.code, exit: EXIT.failed };
  if (error instanceof DataDirInUseError) return { code: 'DATA_DIR_IN_USE', exit: EXIT.failed };
  if (error instanceof MigrationError) return { code: 'MIGRATION_REFUSED', exit: EXIT.failed };
  if (error instanceof KeyFileError) return { code: 'KEY_FILE_INVALID', exit: EXIT.failed };
  if (error instanceof KeyProviderError) return { code: 'KEY_PROVIDER_FAILED', exit: EXIT.failed };
  if (error instanceof SealedSecretError)
    return { code: 'SEALED_SECRET_INVALID', exit: EXIT.failed };
  if (error instanceof CheckpointKeyMismatchError)
    return { code: 'CHECKPOINT_KEY_MISMATCH', exit: EXIT.failed };
  if (error instanceof AuditChainDamagedError)
    return { code: 'AUDIT_CHAIN_DAMAGED', exit: EXIT.failed };
  if (error instanceof EmbeddedClusterError)
    return { code: 'EMBEDDED_DATABASE_FAILED', exit: EXIT.failed };
  return { code: 'COMMAND_FAILED', exit: EXIT.failed };
}

/**
 * Run one command line and return its exit code: 0 ok, 1 the check or
 * operation failed, 2 usage or configuration error.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const result = { code: EXIT.ok as number };
  const program = buildProgram(io, result);
  const json = argv.includes('--json');

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      const helpShown =
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.help' ||
        error.code === 'commander.version';
      return helpShown ? EXIT.ok : EXIT.usage;
    }

    const { code, exit } = failureCode(error);
    const message = isAppError(error)
      ? error.detail
      : error instanceof Error
        ? error.message
        : String(error);
    io.stderr.write(`peytonix: ${message}\n`);
    if (json) {
      const extensions = isAppError(error) ? error.extensions : {};
      io.stdout.write(
        `${JSON.stringify({ ok: false, error: { code, message, ...extensions } }, null, 2)}\n`,
      );
    }
    if (
      code === 'COMMAND_FAILED' &&
      io.env.PEYTONIX_LOG_LEVEL === 'debug' &&
      error instanceof Error
    ) {
      io.stderr.write(`${error.stack ?? ''}\n`);
    }
    return exit;
  }
}
