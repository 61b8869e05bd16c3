import { DISPOSITION_VALUES } from '@peytonix/contracts';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { StepResult } from '../../../modules/exceptions/exception-transitions.ts';
import type { ExceptionDetail } from '../../../modules/exceptions/exceptions.service.ts';
import type { Actor } from '../../../modules/identity/actor.ts';
import type { Services } from '../../../services.ts';
import { type ActingOptions, withActingRuntime } from '../../acting-runtime.ts';
import { type CliIo, EXIT, printResult } from '../../cli-io.ts';
import { asOption, dataDirOption, jsonOption } from '../../cli-options.ts';

interface StepOptions extends ActingOptions {
  comment?: string;
  revision?: number;
}

/** `--revision`: the exception's revision as last read, so a concurrent change is a conflict. */
const revisionOption = () =>
  new Option(
    '--revision <n>',
    'fail if the exception changed since this revision (from show)',
  ).argParser((value: string) => {
    const revision = Number(value);
    if (!Number.isSafeInteger(revision) || revision < 1) {
      throw new InvalidArgumentError(`expected a revision such as 3, not ${JSON.stringify(value)}`);
    }
    return revision;
  });

function stepLines(results: StepResult): string[] {
  return results.map((item) => `${item.id}  ${item.status}  (revision ${item.revision})`);
}

function detailLines(detail: ExceptionDetail): string[] {
  const lines = [
    `exception    ${detail.id}`,
    `test         ${detail.entityCode}/${detail.testKey}`,
    `status       ${detail.status}${detail.disposition ? ` (${detail.disposition})` : ''}`,
    `severity     ${detail.severity}, due ${detail.dueOn ?? '-'}${detail.overdue ? ', overdue' : ''}`,
    `assignee     ${detail.assignee ?? '-'}`,
    `key          ${JSON.stringify(detail.keyValues)}`,
  ];
  if (detail.rationale !== null) lines.push(`rationale    ${detail.rationale}`);
  if (detail.reviewedBy !== null) lines.push(`reviewed by  ${detail.reviewedBy}`);
  if (detail.riskAcceptedBy !== null) lines.push(`risk accepted by ${detail.riskAcceptedBy}`);
  if (detail.comments.length > 0) lines.push('comments (every version):');
  for (const comment of detail.comments) {
    lines.push(
      `  ${comment.createdAt}  ${comment.author}, version ${comment.version} of ${comment.threadId}: ${JSON.stringify(comment.body)}`,
    );
  }
  lines.push('history:');
  for (const event of detail.history) {
    const actor = event.actor ?? 'the platform';
    lines.push(
      `  ${event.at}  ${event.action} by ${actor} -> ${event.toStatus}${event.comment ? `: ${event.comment}` : ''}`,
    );
  }
  return lines;
}

/**
 * Run one workflow step as the acting user and print each exception's new
 * status, or the JSON result with --json.
 */
async function runStep(
  io: CliIo,
  options: StepOptions,
  name: string,
  step: (services: Services, actor: Actor) => Promise<StepResult>,
): Promise<number> {
  return await withActingRuntime(io, options, name, async (runtime, actor) => {
    const results = await step(runtime.services, actor);
    printResult(io, options.json === true, { updated: results }, stepLines(results));
    return EXIT.ok;
  });
}

/** Add show, assign, propose, approve, return, accept-risk and decline-risk to `peytonix exceptions`. */
export function registerExceptionWorkflowCommands(
  exceptions: Command,
  io: CliIo,
  result: { code: number },
) {
  const acting = (command: Command) =>
    command.addOption(asOption()).addOption(dataDirOption()).addOption(jsonOption());

  acting(
    exceptions
      .command('show')
      .description('show an exception with its disposition, history and comments')
      .argument('<id>', 'exception id'),
  ).action(async (id: string, options: ActingOptions) => {
    result.code = await withActingRuntime(
      io,
      options,
      'exceptions show',
      async (runtime, actor) => {
        const detail = await runtime.services.exceptions.show(actor, id);
        printResult(io, options.json === true, detail, detailLines(detail));
        return EXIT.ok;
      },
    );
  });

  acting(
    exceptions
      .command('assign')
      .description('assign exceptions to a preparer of their entity; they become in_progress')
      .argument('<ids...>', 'exception ids; several are assigned together, all or none')
      .requiredOption('--to <email>', 'email of the preparer')
      .option('--comment <text>', 'note kept in the history')
      .addOption(revisionOption()),
  ).action(async (ids: string[], options: StepOptions & { to: string }) => {
    result.code = await runStep(io, options, 'exceptions assign', (services, actor) =>
      services.exceptions.assign(actor, ids, options.to, {
        comment: options.comment,
        revision: options.revision,
      }),
    );
  });

  acting(
    exceptions
      .command('propose')
      .description('propose a disposition with a rationale; only the assignee may')
      .argument('<ids...>', 'exception ids; several get the same disposition, all or none')
      .addOption(
        new Option('--disposition <disposition>', 'the proposed disposition')
          .choices(DISPOSITION_VALUES)
          .makeOptionMandatory(),
      )
      .requiredOption('--rationale <text>', 'why the disposition applies')
      .option('--duplicate-of <id>', 'with --disposition duplicate: the exception this one repeats')
      .addOption(revisionOption()),
  ).action(
    async (
      ids: string[],
      options: StepOptions & {
        disposition: (typeof DISPOSITION_VALUES)[number];
        rationale: string;
        duplicateOf?: string;
      },
    ) => {
      result.code = await runStep(io, options, 'exceptions propose', (services, actor) =>
        services.exceptions.propose(
          actor,
          ids,
          {
            disposition: options.disposition,
            rationale: options.rationale,
            duplicateOf: options.duplicateOf,
          },
          { revision: options.revision },
        ),
      );
    },
  );

  const decision = (
    name: 'approve' | 'return' | 'accept-risk' | 'decline-risk',
    description: string,
    commentRequired: boolean,
  ) => {
    const command = exceptions
      .command(name)
      .description(description)
      .argument('<id>', 'exception id');
    if (commentRequired) command.requiredOption('--comment <text>', 'the reason, for the preparer');
    else command.option('--comment <text>', 'note kept in the history');
    command.addOption(revisionOption());
    acting(command).action(async (id: string, options: StepOptions) => {
      result.code = await runStep(io, options, `exceptions ${name}`, (services, actor) => {
        const { comment, revision } = options;
        switch (name) {
          case 'approve':
            return services.exceptions.approve(actor, id, { comment, revision });
          case 'return':
            return services.exceptions.return(actor, id, { comment, revision });
          case 'accept-risk':
            return services.exceptions.acceptRisk(actor, id, { comment, revision });
          case 'decline-risk':
            return services.exceptions.declineRisk(actor, id, { comment, revision });
        }
      });
    });
  };
  decision(
    'approve',
    'approve a proposed disposition as reviewer; a risk acceptance then waits for management',
    false,
  );
  decision('return', 'return a proposed disposition to its preparer', true);
  decision(
    'accept-risk',
    'approve, as management, a risk acceptance that a reviewer approved',
    false,
  );
  decision(
    'decline-risk',
    'decline, as management, a risk acceptance; it goes back to its preparer',
    true,
  );
}
