import type { Command } from 'commander';
import type { CliIo } from '../../cli-io.ts';
import { asOption, dataDirOption, jsonOption } from '../../cli-options.ts';
import { runAuditExport } from './audit-export.ts';
import { runAuditCheckpoint, runAuditPublicKey } from './audit-keys.ts';
import {
  runAuditCheckpoints,
  runAuditConsistencyProof,
  runAuditEvents,
  runAuditInclusionProof,
} from './audit-read.ts';
import { runAuditVerify } from './audit-verify.ts';

export function registerAuditCommands(program: Command, io: CliIo, result: { code: number }) {
  const audit = program.command('audit').description('the tamper-evident audit trail');

  audit
    .command('verify')
    .description('check the hash chain and signed checkpoints; exit 1 with the first damaged event')
    .option(
      '--export <file>',
      'verify this export file instead of the database (needs --public-key)',
    )
    .option('--public-key <file>', 'PEM public key the checkpoints must verify with')
    .option(
      '--trusted-checkpoint <file>',
      'checkpoints kept outside the database (JSON lines); the chain must match each one',
    )
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runAuditVerify(io, options);
    });

  audit
    .command('export')
    .description('write every event, then every checkpoint, as JSON Lines')
    .requiredOption('--out <file>', 'file to create; an existing file is never overwritten')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runAuditExport(io, options);
    });

  audit
    .command('public-key')
    .description('print the Ed25519 key that verifies checkpoint signatures (PEM)')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runAuditPublicKey(io, options);
    });

  audit
    .command('checkpoint')
    .description('sign a checkpoint over every event now')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runAuditCheckpoint(io, options);
    });

  audit
    .command('checkpoints')
    .description('print the signed checkpoints as JSON lines, to keep outside the database')
    .addOption(asOption())
    .addOption(dataDirOption())
    .action(async (options) => {
      result.code = await runAuditCheckpoints(io, options);
    });

  audit
    .command('events')
    .description('search events, newest first')
    .option('--from <time>', 'ISO 8601 time, inclusive')
    .option('--to <time>', 'ISO 8601 time, exclusive')
    .option('--actor <user-id>', 'acting user id')
    .option('--actor-type <type>', 'user, system, scim, ai or anonymous')
    .option('--action <code>', 'action code, such as auth.login_failed')
    .option('--outcome <outcome>', 'success, denied or failure')
    .option('--target-type <type>', 'target type, such as entity')
    .option('--target-id <id>', 'target id')
    .option('--entity <entity-id>', 'entity id')
    .option('--limit <n>', 'events per page, 1 to 200', '50')
    .option('--cursor <cursor>', 'the cursor printed with the previous page')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runAuditEvents(io, options);
    });

  const proof = audit.command('proof').description('Merkle proofs against signed checkpoints');
  proof
    .command('inclusion')
    .description('prove that an event is in a signed checkpoint')
    .requiredOption('--seq <n>', 'sequence number of the event')
    .option('--tree-size <n>', 'tree size of the checkpoint (default: the latest)')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runAuditInclusionProof(io, options);
    });
  proof
    .command('consistency')
    .description('prove that a later checkpoint extends an earlier one')
    .requiredOption('--first <n>', 'tree size of the earlier checkpoint')
    .requiredOption('--second <n>', 'tree size of the later checkpoint')
    .addOption(asOption())
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options) => {
      result.code = await runAuditConsistencyProof(io, options);
    });
}
