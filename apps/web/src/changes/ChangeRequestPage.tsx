import {
  Alert,
  Anchor,
  Badge,
  Code,
  Group,
  Loader,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { useSignedInAccount } from '../app/signed-in-account.ts';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { useOwnGrants } from '../shared/own-access.ts';
import { Page } from '../shared/Page.tsx';
import {
  type ChangeRequest,
  computeDiffSha256,
  kindLabel,
  STATUS_COLORS,
  useChangeRequest,
  useDecideChangeRequest,
} from './change-requests-api.ts';
import { DecisionForm } from './DecisionForm.tsx';
import { grantDecisionBlock } from './grant-approval.ts';
import { StateDiff } from './StateDiff.tsx';
import { type PeopleById, useUserNames } from './user-names.ts';

function Detail({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      <Text size="sm" component="div" style={{ wordBreak: 'break-word' }}>
        {children}
      </Text>
    </div>
  );
}

/** Explains why the signed-in user sees no decision form on a pending request. */
function NoDecisionReason({ own, mayDecide }: { own: boolean; mayDecide: boolean }) {
  if (own) {
    return (
      <Alert color="blue" title="Awaiting another person">
        You made this request, so someone else must approve or reject it.
      </Alert>
    );
  }
  if (!mayDecide) {
    return (
      <Text size="sm">
        Deciding needs the reviewer or administrator role on this request's entity, so you can only
        read it.
      </Text>
    );
  }
  return null;
}

function RequestView({
  request,
  people,
  access,
}: {
  request: ChangeRequest;
  people: PeopleById;
  access: Access;
}) {
  const account = useSignedInAccount();
  const nameOf = useUserNames(access, account.userId, people);
  const computed = useQuery({
    queryKey: ['change-requests', 'computed-hash', request.id, request.diffSha256],
    queryFn: () => computeDiffSha256(request),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const decide = useDecideChangeRequest(request.id);
  const own = request.requestedBy === account.userId;
  const mayDecide = access.can('change_requests.decide', request.entityId);
  const entity = access.entityById(request.entityId);
  const ownGrants = useOwnGrants();
  // Until the grants load, the server's own check is the only one.
  const decisionBlock =
    ownGrants.data === undefined
      ? null
      : grantDecisionBlock(request, account.userId, ownGrants.data.grants, access);

  return (
    <Stack>
      <Anchor component={Link} to="/change-requests">
        Back to change requests
      </Anchor>
      <Group>
        <Badge
          color={STATUS_COLORS[request.status]}
          variant="dot"
          size="lg"
          data-testid="change-request-status"
        >
          {request.status}
        </Badge>
        <Text size="sm" c="dimmed">
          {request.kind}
        </Text>
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }}>
        <Detail label="Target">
          {request.targetType}: <Code>{request.targetKey}</Code>
        </Detail>
        <Detail label="Entity">
          {entity === undefined ? request.entityId : `${entity.name} (${entity.code})`}
        </Detail>
        <Detail label="Requested by">
          {nameOf(request.requestedBy)}
          {request.requestedByType === 'ai' && ' (drafted by an AI feature on their behalf)'}
        </Detail>
        <Detail label="Requested">{formatDateTime(request.requestedAt)}</Detail>
        <Detail label="Expires">{formatDateTime(request.expiresAt)}</Detail>
        {request.decidedBy !== null && (
          <Detail label="Decided by">
            {nameOf(request.decidedBy)}
            {request.decidedAt !== null && `, ${formatDateTime(request.decidedAt)}`}
          </Detail>
        )}
        {request.appliedAt !== null && (
          <Detail label="Applied">{formatDateTime(request.appliedAt)}</Detail>
        )}
      </SimpleGrid>
      <Detail label="Justification">
        <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
          {request.justification}
        </Text>
      </Detail>
      {request.decisionNote !== null && (
        <Detail label="Decision note">
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
            {request.decisionNote}
          </Text>
        </Detail>
      )}
      {request.status === 'stale' && (
        <Alert color="yellow" title="This request is stale">
          Its target changed after the request was made, so it can no longer be approved. Make a new
          request if the change is still needed.
        </Alert>
      )}

      <Stack component="section" aria-labelledby="diff-heading" gap="xs">
        <Title order={2} size="h3" id="diff-heading">
          Before and after
        </Title>
        <StateDiff before={request.before} after={request.after} />
        <Text size="xs" c="dimmed">
          Diff hash (SHA-256): <Code>{request.diffSha256}</Code>
          {request.approvedDiffSha256 !== null && (
            <>
              {' '}
              · approved hash: <Code>{request.approvedDiffSha256}</Code>
            </>
          )}
        </Text>
      </Stack>
      {computed.isError && (
        <ErrorAlert error={computed.error} title="The diff hash could not be computed" />
      )}

      {request.status === 'pending' &&
        (own || !mayDecide ? (
          <NoDecisionReason own={own} mayDecide={mayDecide} />
        ) : (
          <DecisionForm
            request={request}
            computedDiffSha256={computed.data}
            decisionBlockedReason={decisionBlock}
            onDecide={(decision) => decide.mutate(decision)}
            pendingVerdict={decide.isPending ? decide.variables.verdict : undefined}
          />
        ))}
      {decide.isError && (
        <ErrorAlert
          error={decide.error}
          title={decide.variables.verdict === 'approve' ? 'Approval failed' : 'Rejection failed'}
        />
      )}
      {decide.isSuccess && (
        <Alert color="blue" title={decide.data.status === 'rejected' ? 'Rejected' : 'Approved'}>
          {decide.data.status === 'applied'
            ? 'The request was approved and its change applied.'
            : `The request is now ${decide.data.status}.`}
        </Alert>
      )}
    </Stack>
  );
}

/** Shows one change request with its before/after diff, and approval or rejection when the user may decide. */
export function ChangeRequestPage() {
  const { id = '' } = useParams();
  const request = useChangeRequest(id);
  const title =
    request.data === undefined
      ? 'Change request'
      : `Change request: ${kindLabel(request.data.kind)}`;
  return (
    <Page title={title}>
      {request.isPending && <Loader aria-label="Loading the change request" />}
      {request.isError && (
        <ErrorAlert error={request.error} title="The change request could not be loaded" />
      )}
      {request.isSuccess && (
        <WithAccess>
          {(access) => (
            <RequestView request={request.data} people={request.data.people} access={access} />
          )}
        </WithAccess>
      )}
    </Page>
  );
}
