import { Badge, Button, Code, Table, Text } from '@mantine/core';
import type { Access } from '../entities/entity-access.ts';
import { formatDateTime } from '../shared/format.ts';
import type { AuditEvent } from './audit-api.ts';

const OUTCOME_COLORS = { success: 'green', denied: 'orange', failure: 'red' } as const;

/** Renders one page of audit events, newest first, each with a button that opens its inclusion proof. */
export function AuditEventTable({
  events,
  access,
  nameOf,
  onProof,
}: {
  events: readonly AuditEvent[];
  access: Access;
  nameOf: (userId: string) => string;
  onProof: (event: AuditEvent) => void;
}) {
  return (
    <Table.ScrollContainer minWidth={960}>
      <Table striped aria-label="Audit events">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Seq</Table.Th>
            <Table.Th>Time</Table.Th>
            <Table.Th>Action</Table.Th>
            <Table.Th>Outcome</Table.Th>
            <Table.Th>Actor</Table.Th>
            <Table.Th>Target</Table.Th>
            <Table.Th>Entity</Table.Th>
            <Table.Th>Proof</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {events.map((event) => (
            <Table.Tr key={event.seq} data-testid="audit-event-row">
              <Table.Td>{event.seq}</Table.Td>
              <Table.Td>{formatDateTime(event.occurredAt)}</Table.Td>
              <Table.Td>
                <Code>{event.action}</Code>
              </Table.Td>
              <Table.Td>
                <Badge color={OUTCOME_COLORS[event.outcome]} variant="dot" miw="max-content">
                  {event.outcome}
                </Badge>
                {event.reasonCode !== null && (
                  <Text size="xs" c="dimmed">
                    {event.reasonCode}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                {event.actorId === null ? event.actorType : nameOf(event.actorId)}
                {event.onBehalfOf !== null && (
                  <Text size="xs" c="dimmed">
                    on behalf of {nameOf(event.onBehalfOf)}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                {event.targetType === null ? (
                  '—'
                ) : (
                  <>
                    <Text size="sm">{event.targetType}</Text>
                    <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                      {event.targetId}
                    </Text>
                  </>
                )}
              </Table.Td>
              <Table.Td>
                {event.entityId === null
                  ? '—'
                  : (access.entityById(event.entityId)?.code ?? event.entityId)}
              </Table.Td>
              <Table.Td>
                <Button
                  size="xs"
                  variant="light"
                  onClick={() => onProof(event)}
                  aria-label={`Inclusion proof of event ${event.seq}`}
                >
                  Inclusion proof
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
