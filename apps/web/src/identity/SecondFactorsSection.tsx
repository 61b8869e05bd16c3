import { Anchor, Button, Group, List, Modal, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { MFA_ENROLMENT_PATH } from '../app/RequireSession.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { accountKeys, usePasskeys } from './account-queries.ts';
import { type Account, replaceRecoveryCodes } from './identity-api.ts';
import { PasskeyRegistration } from './PasskeyRegistration.tsx';
import { RecoveryCodesPanel } from './RecoveryCodesPanel.tsx';

function PasskeyList() {
  const passkeys = usePasskeys();
  if (passkeys.isPending) return null;
  if (passkeys.isError) {
    return <ErrorAlert error={passkeys.error} title="Passkeys could not be loaded" />;
  }
  if (passkeys.data.length === 0) return <Text size="sm">No passkeys registered.</Text>;
  return (
    <List size="sm" aria-label="Your passkeys">
      {passkeys.data.map((passkey) => (
        <List.Item key={passkey.credentialId}>
          {passkey.name}, added {formatDateTime(passkey.createdAt)}
          {passkey.lastUsedAt === null ? '' : `, last used ${formatDateTime(passkey.lastUsedAt)}`}
        </List.Item>
      ))}
    </List>
  );
}

/** Authenticator app, passkeys and recovery codes of the signed-in user. */
export function SecondFactorsSection({ account }: { account: Account }) {
  const queryClient = useQueryClient();
  const [passkeyOpen, passkeyDialog] = useDisclosure(false);
  const [newCodes, setNewCodes] = useState<string[] | null>(null);
  const replace = useMutation({ mutationFn: replaceRecoveryCodes, onSuccess: setNewCodes });

  const closeCodes = () => {
    setNewCodes(null);
    void queryClient.invalidateQueries({ queryKey: accountKeys.overview });
  };
  const afterPasskey = (codes: string[] | null) => {
    passkeyDialog.close();
    void queryClient.invalidateQueries({ queryKey: accountKeys.all });
    if (codes !== null) setNewCodes(codes);
  };

  return (
    <Stack component="section" aria-labelledby="factors-heading">
      <Title order={2} id="factors-heading">
        Second factors
      </Title>
      <Group>
        <Text fw={600}>Authenticator app:</Text>
        {account.mfa.totp ? (
          <Text>set up</Text>
        ) : (
          <Anchor component={Link} to={MFA_ENROLMENT_PATH}>
            Set up an authenticator app
          </Anchor>
        )}
      </Group>
      <Stack gap="xs">
        <Text fw={600}>Passkeys: {account.mfa.passkeys}</Text>
        <PasskeyList />
        <Group>
          <Button variant="default" size="xs" onClick={passkeyDialog.open}>
            Add a passkey
          </Button>
        </Group>
      </Stack>
      <Stack gap="xs">
        <Text fw={600}>Recovery codes left: {account.mfa.recoveryCodesLeft}</Text>
        {replace.isError && (
          <ErrorAlert error={replace.error} title="Recovery codes could not be replaced" />
        )}
        <Group>
          <Button
            variant="default"
            size="xs"
            onClick={() => replace.mutate()}
            loading={replace.isPending}
          >
            Replace recovery codes
          </Button>
        </Group>
      </Stack>
      <Modal opened={passkeyOpen} onClose={passkeyDialog.close} title="Add a passkey">
        <PasskeyRegistration onRegistered={afterPasskey} />
      </Modal>
      <Modal
        opened={newCodes !== null}
        onClose={closeCodes}
        title="Your new recovery codes"
        closeOnClickOutside={false}
      >
        {newCodes !== null && (
          <RecoveryCodesPanel codes={newCodes} doneLabel="Done" onDone={closeCodes} />
        )}
      </Modal>
    </Stack>
  );
}
