import { Button, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useUsers } from '../admin/users-api.ts';
import { useSignedInAccount } from '../app/signed-in-account.ts';
import { canOnRoot, useUserNames } from '../changes/user-names.ts';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { Page } from '../shared/Page.tsx';
import { AuditEventTable } from './AuditEventTable.tsx';
import { AuditSearchForm, EMPTY_FIELDS, type SearchFields } from './AuditSearchForm.tsx';
import { type AuditEvent, type AuditFilters, PAGE_SIZE, useAuditEvents } from './audit-api.ts';
import { ExportButton } from './ExportButton.tsx';
import { InclusionProofModal } from './InclusionProofModal.tsx';
import { IntegritySection } from './IntegritySection.tsx';
import { SignedExportButton } from './SignedExportButton.tsx';

function fieldsFromParams(params: URLSearchParams): SearchFields {
  const fields = { ...EMPTY_FIELDS };
  for (const name of Object.keys(EMPTY_FIELDS) as (keyof SearchFields)[]) {
    fields[name] = params.get(name) ?? '';
  }
  return fields;
}

/** Convert a datetime-local value to ISO 8601 in UTC, or undefined for an empty or invalid one. */
function isoOf(local: string): string | undefined {
  if (local === '') return undefined;
  const time = new Date(local);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

function filtersOf(fields: SearchFields, access: Access): AuditFilters {
  const filters: AuditFilters = {};
  const set = (name: keyof AuditFilters, value: string | undefined) => {
    if (value !== undefined && value !== '') filters[name] = value.trim();
  };
  set('action', fields.action);
  set('actorId', fields.actorId);
  set('actorType', fields.actorType);
  set('outcome', fields.outcome);
  set('targetType', fields.targetType);
  set('targetId', fields.targetId);
  set('entityId', fields.entity === '' ? undefined : access.entityByCode(fields.entity)?.id);
  set('from', isoOf(fields.from));
  set('to', isoOf(fields.to));
  return filters;
}

function AuditTrail({ access }: { access: Access }) {
  const account = useSignedInAccount();
  const [params, setParams] = useSearchParams();
  const fields = useMemo(() => fieldsFromParams(params), [params]);
  const filters = useMemo(() => filtersOf(fields, access), [fields, access]);
  const mayListUsers = canOnRoot(access, 'users.read');
  const users = useUsers(mayListUsers);
  const nameOfListedUser = useUserNames(access, account.userId);
  // Cursors of the pages before the current one, so "Previous page" can go back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [proofOf, setProofOf] = useState<AuditEvent | null>(null);
  const events = useAuditEvents(filters, cursor);

  // The search names the users of its own events, so no users.read grant is needed.
  const actors = events.data?.actors;
  const nameOf = (userId: string): string => {
    const actor = actors?.[userId];
    if (userId === account.userId || actor === undefined) return nameOfListedUser(userId);
    return `${actor.displayName} <${actor.email}>`;
  };

  const search = (next: SearchFields) => {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(next)) {
      if (value !== '') query.set(name, value);
    }
    setParams(query, { replace: true });
    setCursors([]);
    setCursor(undefined);
  };

  return (
    <Stack>
      <Text>
        Every change and security event, hash-chained and covered by signed checkpoints. Searches
        and proof requests are themselves recorded.
      </Text>
      <IntegritySection />
      <Title order={2} size="h3">
        Signed export
      </Title>
      <SignedExportButton allowed={canOnRoot(access, 'audit_trail.read')} />
      <Title order={2} size="h3">
        Search
      </Title>
      <AuditSearchForm
        key={params.toString()}
        initial={fields}
        entities={access.entitiesWith('audit_trail.read')}
        users={mayListUsers ? users.data : undefined}
        onSearch={search}
      />
      <ExportButton filters={filters} />
      {events.isPending && <Loader aria-label="Loading audit events" />}
      {events.isError && <ErrorAlert error={events.error} title="The search failed" />}
      {events.isSuccess && (
        <>
          {events.data.events.length === 0 ? (
            <Text>No audit event matches these filters.</Text>
          ) : (
            <AuditEventTable
              events={events.data.events}
              access={access}
              nameOf={nameOf}
              onProof={setProofOf}
            />
          )}
          <nav aria-label="Pages of audit events">
            <Group justify="space-between">
              <Text size="sm" c="dimmed">
                Page {cursors.length + 1}, up to {PAGE_SIZE} events a page, newest first
              </Text>
              <Group gap="xs">
                <Button
                  variant="default"
                  size="xs"
                  disabled={cursors.length === 0}
                  onClick={() => {
                    setCursor(cursors.at(-1));
                    setCursors(cursors.slice(0, -1));
                  }}
                >
                  Previous page
                </Button>
                <Button
                  variant="default"
                  size="xs"
                  disabled={events.data.nextCursor === null}
                  onClick={() => {
                    setCursors([...cursors, cursor]);
                    setCursor(events.data.nextCursor ?? undefined);
                  }}
                >
                  Next page
                </Button>
              </Group>
            </Group>
          </nav>
        </>
      )}
      <InclusionProofModal event={proofOf} onClose={() => setProofOf(null)} />
    </Stack>
  );
}

/** Searches the audit trail, shows its verification state, proves inclusion, and exports it signed or by search. */
export function AuditTrailPage() {
  return (
    <Page title="Audit trail">
      <WithAccess>
        {(access) =>
          access.entitiesWith('audit_trail.read').length > 0 ? (
            <AuditTrail access={access} />
          ) : (
            <Text>
              Reading the audit trail needs the administrator or management role. Ask an
              administrator if you need it.
            </Text>
          )
        }
      </WithAccess>
    </Page>
  );
}
