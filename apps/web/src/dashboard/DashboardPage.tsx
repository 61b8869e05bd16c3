import { Anchor, Loader, Stack, Text } from '@mantine/core';
import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { EntitySelect } from '../entities/EntitySelect.tsx';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { useTests } from '../runs/runs-api.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { Page } from '../shared/Page.tsx';
import { AgeingSection } from './AgeingSection.tsx';
import { CountsOverview, GroupCountsTable } from './CountsSection.tsx';
import { useExceptionAgeing, useExceptionCounts } from './dashboard-api.ts';
import { TrendSection } from './TrendSection.tsx';

function NoDashboardAccess() {
  return (
    <Stack gap="xs">
      <Text>
        The dashboard summarizes exceptions: counts by severity and entity, overdue ones, their
        ages, and what each run of a test found. It needs the reviewer, management or administrator
        role on an entity, which you do not have. Ask an administrator if you need it.
      </Text>
      <Text>
        You can still open{' '}
        <Anchor component={Link} to="/runs" underline="always">
          runs
        </Anchor>{' '}
        and{' '}
        <Anchor component={Link} to="/datasets" underline="always">
          datasets
        </Anchor>{' '}
        in your entities.
      </Text>
    </Stack>
  );
}

function EntityDashboard({ access, entityCode }: { access: Access; entityCode: string }) {
  const counts = useExceptionCounts(entityCode);
  const ageing = useExceptionAgeing(entityCode);
  const tests = useTests();
  const entity = access.entityByCode(entityCode);

  const testsWithRuns = useMemo(() => {
    if (entity === undefined) return [];
    const codes = access.subtreeCodes(entity.id);
    return (tests.data?.tests ?? []).filter((test) => test.runs > 0 && codes.has(test.entityCode));
  }, [tests.data, access, entity]);

  return (
    <Stack gap="xl">
      {counts.isPending && <Loader aria-label="Loading the exception counts" />}
      {counts.isError && (
        <ErrorAlert error={counts.error} title="The exception counts could not be loaded" />
      )}
      {counts.isSuccess && (
        <>
          <CountsOverview counts={counts.data} ageing={ageing.data} />
          <GroupCountsTable
            id="by-entity"
            title="By entity"
            firstColumn="Entity"
            empty="No entity here has exceptions."
            rows={counts.data.byEntity.map((row) => ({
              ...row,
              key: row.code,
              label: `${row.name} (${row.code})`,
            }))}
          />
        </>
      )}
      {ageing.isPending && <Loader aria-label="Loading the ageing of exceptions" />}
      {ageing.isError && (
        <ErrorAlert error={ageing.error} title="The ageing of exceptions could not be loaded" />
      )}
      {ageing.isSuccess && <AgeingSection ageing={ageing.data} />}
      {tests.isPending && <Loader aria-label="Loading tests" />}
      {tests.isError && <ErrorAlert error={tests.error} title="Tests could not be loaded" />}
      {tests.isSuccess && <TrendSection key={entityCode} tests={testsWithRuns} />}
      {counts.isSuccess && (
        <GroupCountsTable
          id="by-test"
          title="By test"
          firstColumn="Test"
          empty="No test here has flagged exceptions."
          rows={counts.data.byTest.map((row) => ({
            ...row,
            key: `${row.entityCode}/${row.key}`,
            label: `${row.key} (${row.entityCode})`,
          }))}
        />
      )}
    </Stack>
  );
}

function DashboardContent({ access }: { access: Access }) {
  const [params, setParams] = useSearchParams();
  const entities = access.entitiesWith('dashboards.read');
  if (entities.length === 0) return <NoDashboardAccess />;

  const requested = params.get('entity');
  const entityCode =
    entities.find((entity) => entity.code === requested)?.code ?? entities[0]?.code ?? '';
  return (
    <Stack gap="lg">
      <EntitySelect
        entities={entities}
        value={entityCode}
        onChange={(code) => setParams({ entity: code }, { replace: true })}
        description="Every number covers this entity and all entities below it."
      />
      <EntityDashboard key={entityCode} access={access} entityCode={entityCode} />
    </Stack>
  );
}

/** Summarizes the exceptions of an entity subtree and the recent runs of its tests. */
export function DashboardPage() {
  return (
    <Page title="Dashboard">
      <WithAccess>{(access) => <DashboardContent access={access} />}</WithAccess>
    </Page>
  );
}
