import { Button, Group, Paper, Stack, Text, Textarea, Title } from '@mantine/core';
import { multilineText } from '@peytonix/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { UntrustedText } from '../shared/UntrustedText.tsx';
import { validateWith } from '../shared/zod-validator.ts';
import { addComment, type ExceptionComment, editComment, exceptionKeys } from './exceptions-api.ts';

const validateBody = validateWith(multilineText(10000));

/** Group comment versions by thread, oldest thread first, each thread's versions oldest first. */
function threadsOf(comments: readonly ExceptionComment[]): ExceptionComment[][] {
  const threads = new Map<string, ExceptionComment[]>();
  for (const comment of comments) {
    const versions = threads.get(comment.threadId) ?? [];
    versions.push(comment);
    threads.set(comment.threadId, versions);
  }
  return [...threads.values()]
    .map((versions) => versions.toSorted((a, b) => a.version - b.version))
    .sort((a, b) => (a[0]?.createdAt ?? '').localeCompare(b[0]?.createdAt ?? ''));
}

function CommentBox({
  label,
  initial,
  submitLabel,
  pending,
  onSubmit,
  onCancel,
}: {
  label: string;
  initial: string;
  submitLabel: string;
  pending: boolean;
  onSubmit: (body: string) => void;
  onCancel?: () => void;
}) {
  const [body, setBody] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        const problem = validateBody(body);
        if (problem !== null) {
          setError(problem);
          return;
        }
        onSubmit(body.trim());
      }}
    >
      <Stack gap="xs">
        <Textarea
          label={label}
          autosize
          minRows={2}
          maxLength={10000}
          value={body}
          error={error}
          onChange={(event) => {
            setBody(event.currentTarget.value);
            setError(null);
          }}
        />
        <Group gap="sm">
          <Button type="submit" size="sm" loading={pending}>
            {submitLabel}
          </Button>
          {onCancel !== undefined && (
            <Button size="sm" variant="default" onClick={onCancel}>
              Cancel
            </Button>
          )}
        </Group>
      </Stack>
    </form>
  );
}

function CommentThread({
  exceptionId,
  versions,
  mayEdit,
}: {
  exceptionId: string;
  versions: readonly ExceptionComment[];
  mayEdit: boolean;
}) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const latest = versions.at(-1);
  const earlier = versions.slice(0, -1).toReversed();
  const edit = useMutation({
    mutationFn: (body: string) => editComment(exceptionId, latest?.threadId ?? '', body),
    onSuccess: async () => {
      setEditing(false);
      await queryClient.invalidateQueries({ queryKey: exceptionKeys.detail(exceptionId) });
    },
  });
  if (latest === undefined) return null;

  return (
    <Paper withBorder p="sm" data-testid="comment-thread" component="article">
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start">
          <Text size="sm" fw={500}>
            {latest.author}, {formatDateTime(latest.createdAt)}
            {latest.version > 1 ? ` (version ${latest.version}, edited)` : ''}
          </Text>
          {mayEdit && !editing && (
            <Button size="xs" variant="default" onClick={() => setEditing(true)}>
              Edit
            </Button>
          )}
        </Group>
        {editing ? (
          <CommentBox
            label="New version of your comment"
            initial={latest.body}
            submitLabel="Save as new version"
            pending={edit.isPending}
            onSubmit={(body) => edit.mutate(body)}
            onCancel={() => {
              edit.reset();
              setEditing(false);
            }}
          />
        ) : (
          <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
            <UntrustedText text={latest.body} multiline />
          </Text>
        )}
        {edit.isError && <ErrorAlert error={edit.error} title="The edit was not saved" />}
        {earlier.length > 0 && (
          <Stack gap={4} pl="md" style={{ borderLeft: '2px solid var(--mantine-color-gray-3)' }}>
            <Text size="xs" fw={500}>
              Earlier versions
            </Text>
            {earlier.map((version) => (
              <div key={version.id} data-testid="comment-version">
                <Text size="xs" c="dimmed">
                  Version {version.version}, {formatDateTime(version.createdAt)}
                </Text>
                <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                  <UntrustedText text={version.body} multiline />
                </Text>
              </div>
            ))}
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}

/**
 * Comments on the exception. Comments never change: an edit adds a new
 * version of the author's own comment, and every version stays visible.
 */
export function ExceptionComments({
  exceptionId,
  comments,
  email,
  mayComment,
}: {
  exceptionId: string;
  comments: readonly ExceptionComment[];
  email: string;
  mayComment: boolean;
}) {
  const queryClient = useQueryClient();
  const [formKey, setFormKey] = useState(0);
  const add = useMutation({
    mutationFn: (body: string) => addComment(exceptionId, body),
    onSuccess: async () => {
      setFormKey((key) => key + 1);
      await queryClient.invalidateQueries({ queryKey: exceptionKeys.detail(exceptionId) });
    },
  });
  const threads = threadsOf(comments);

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="exception-comments-heading">
      <Stack gap="sm">
        <Title order={2} size="h4" id="exception-comments-heading">
          Comments
        </Title>
        {threads.length === 0 && <Text size="sm">No comments yet.</Text>}
        {threads.map((versions) => (
          <CommentThread
            key={versions[0]?.threadId}
            exceptionId={exceptionId}
            versions={versions}
            mayEdit={mayComment && versions[0]?.author.toLowerCase() === email.toLowerCase()}
          />
        ))}
        {mayComment && (
          <>
            {add.isError && <ErrorAlert error={add.error} title="The comment was not added" />}
            <CommentBox
              key={formKey}
              label="Add a comment"
              initial=""
              submitLabel="Add comment"
              pending={add.isPending}
              onSubmit={(body) => add.mutate(body)}
            />
          </>
        )}
      </Stack>
    </Paper>
  );
}
