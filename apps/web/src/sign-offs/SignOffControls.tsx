import { Button, Divider, Group, Stack, Text, Textarea, Title } from '@mantine/core';
import { withdrawSignOffSchema } from '@peytonix/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { exceptionKeys } from '../exceptions/exceptions-api.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { validateWith } from '../shared/zod-validator.ts';
import { SIGNED_CONTENT, type SignOffActions } from './sign-off-actions.ts';
import {
  type SignOffLevel,
  type SignOffTarget,
  signOff,
  signOffKeys,
  withdrawSignOff,
} from './sign-offs-api.ts';

type SignOffRequest =
  | { kind: 'sign'; level: SignOffLevel }
  | { kind: 'withdraw'; signOffId: string; reason: string };

const FAILURE_TITLES: Record<SignOffRequest['kind'], string> = {
  sign: 'The sign-off failed',
  withdraw: 'The withdrawal failed',
};

const validateReason = validateWith(withdrawSignOffSchema.shape.reason);

/**
 * Show the sign and withdraw steps that `actions` allows, with a line for
 * each level the user has the permission for but cannot sign now. After a change it reloads the
 * item's sign-offs and every exception view, because a sign-off makes the
 * exceptions it covers read-only and a withdrawal lifts that.
 */
export function SignOffControls({
  target,
  actions,
}: {
  target: SignOffTarget;
  actions: SignOffActions;
}) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const noun = SIGNED_CONTENT[target.targetType];

  const mutation = useMutation({
    mutationFn: async (request: SignOffRequest): Promise<string> => {
      if (request.kind === 'sign') {
        await signOff(target, request.level);
        return `Signed the ${noun} as ${request.level}.`;
      }
      await withdrawSignOff(request.signOffId, request.reason);
      return `Withdrew the sign-offs of the ${noun}. Their exceptions can change again.`;
    },
    onMutate: () => setDone(null),
    onSuccess: async (message) => {
      setDone(message);
      setReason('');
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: signOffKeys.list(target) }),
        queryClient.invalidateQueries({ queryKey: exceptionKeys.all }),
      ]);
    },
  });

  const pendingKind = mutation.isPending ? mutation.variables?.kind : undefined;
  const pendingLevel =
    mutation.isPending && mutation.variables?.kind === 'sign' ? mutation.variables.level : null;
  const notes = [actions.notes.preparer, actions.notes.reviewer].filter(
    (note): note is string => note !== null,
  );
  const signing = actions.signAsPreparer || actions.signAsReviewer;
  const withdrawable = actions.withdrawable;

  return (
    <Stack gap="sm">
      {done !== null && (
        <Text size="sm" role="status" fw={500}>
          {done}
        </Text>
      )}
      {mutation.isError && (
        <ErrorAlert
          error={mutation.error}
          title={FAILURE_TITLES[mutation.variables?.kind ?? 'sign']}
        />
      )}
      {notes.map((note) => (
        <Text size="sm" key={note} data-testid="sign-off-note">
          {note}
        </Text>
      ))}

      {signing && (
        <Stack gap="xs">
          <Text size="sm">
            Signing records the SHA-256 of the {noun} as they are now, shown above as the content
            now, as what you signed.
          </Text>
          <Group>
            {actions.signAsPreparer && (
              <Button
                loading={pendingLevel === 'preparer'}
                disabled={mutation.isPending}
                onClick={() => mutation.mutate({ kind: 'sign', level: 'preparer' })}
              >
                Sign as preparer
              </Button>
            )}
            {actions.signAsReviewer && (
              <Button
                loading={pendingLevel === 'reviewer'}
                disabled={mutation.isPending}
                onClick={() => mutation.mutate({ kind: 'sign', level: 'reviewer' })}
              >
                Sign as reviewer
              </Button>
            )}
          </Group>
        </Stack>
      )}

      {withdrawable !== undefined && (
        <>
          <Divider />
          <form
            onSubmit={(event) => {
              event.preventDefault();
              const error = validateReason(reason);
              setReasonError(error);
              if (error !== null) return;
              mutation.mutate({ kind: 'withdraw', signOffId: withdrawable.id, reason });
            }}
          >
            <Stack gap="xs">
              <Title order={3} size="h5">
                Withdraw the sign-offs
              </Title>
              <Text size="sm">
                Withdrawing marks every sign-off of the {noun} that is not withdrawn yet as
                withdrawn, so their exceptions can change again. The reason stays on record.
              </Text>
              <Textarea
                label="Reason for the withdrawal"
                withAsterisk
                autosize
                minRows={2}
                maxLength={2000}
                value={reason}
                error={reasonError}
                onChange={(event) => {
                  setReason(event.currentTarget.value);
                  setReasonError(null);
                }}
              />
              <Group>
                <Button
                  type="submit"
                  color="red"
                  variant="outline"
                  loading={pendingKind === 'withdraw'}
                  disabled={mutation.isPending}
                >
                  Withdraw sign-offs
                </Button>
              </Group>
            </Stack>
          </form>
        </>
      )}
    </Stack>
  );
}
