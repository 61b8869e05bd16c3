import { Anchor, Grid, Group, Loader, Stack } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { useSignedInAccount } from '../app/signed-in-account.ts';
import { EvidencePanel } from '../evidence/EvidencePanel.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { markHiddenCharacters } from '../shared/invisible-characters.ts';
import { useOwnAccess } from '../shared/own-access.ts';
import { Page } from '../shared/Page.tsx';
import { availableSteps } from './available-steps.ts';
import { ExceptionActions } from './ExceptionActions.tsx';
import { OverdueBadge, SeverityBadge, StatusBadge } from './ExceptionBadges.tsx';
import { ExceptionComments } from './ExceptionComments.tsx';
import { ExceptionHistory } from './ExceptionHistory.tsx';
import { ExceptionOverview } from './ExceptionOverview.tsx';
import { formatKeyValues } from './exception-labels.ts';
import { exceptionKeys, getException } from './exceptions-api.ts';

const BACK_LINK = (
  <Anchor component={Link} to="/exceptions" size="sm">
    Back to the exception queue
  </Anchor>
);

/** Show one exception with its state, flagged row, steps, history, comments and evidence (/exceptions/:id). */
export function ExceptionDetailPage() {
  const { id = '' } = useParams();
  const account = useSignedInAccount();
  const { access, error: accessError } = useOwnAccess();
  const detail = useQuery({
    queryKey: exceptionKeys.detail(id),
    queryFn: ({ signal }) => getException(id, signal),
  });

  if (detail.isPending) {
    return (
      <Page title="Exception">
        <Loader aria-label="Loading the exception" />
      </Page>
    );
  }
  if (detail.isError) {
    return (
      <Page title="Exception">
        {BACK_LINK}
        <ErrorAlert error={detail.error} title="The exception could not be loaded" />
      </Page>
    );
  }

  const exception = detail.data;
  // The key values come from imported data, so the title shows their hidden characters.
  const keys = markHiddenCharacters(formatKeyValues(exception.keyValues));
  const steps = access === undefined ? undefined : availableSteps(exception, account.email, access);

  return (
    <Page title={`Exception ${keys === '' ? exception.id : keys}`}>
      <Group gap="sm">
        {BACK_LINK}
        <StatusBadge status={exception.status} />
        <SeverityBadge severity={exception.severity} />
        {exception.overdue && <OverdueBadge />}
      </Group>
      {accessError !== null && (
        <ErrorAlert error={accessError} title="Your permissions could not be loaded" />
      )}
      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <ExceptionOverview exception={exception} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Stack gap="md">
            {steps === undefined ? (
              <Loader aria-label="Loading your permissions" />
            ) : (
              <ExceptionActions exception={exception} steps={steps} email={account.email} />
            )}
          </Stack>
        </Grid.Col>
      </Grid>
      <EvidencePanel
        subjectType="exception"
        subjectId={exception.id}
        entityCode={exception.entityCode}
        access={access}
        signedOff={exception.signedOff !== null}
      />
      <ExceptionComments
        exceptionId={exception.id}
        comments={exception.comments}
        email={account.email}
        mayComment={steps?.comment === true}
      />
      <ExceptionHistory exception={exception} />
    </Page>
  );
}
