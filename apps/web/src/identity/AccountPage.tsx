import { Stack, Table, Title } from '@mantine/core';
import { useSignedInAccount } from '../app/signed-in-account.ts';
import { Page } from '../shared/Page.tsx';
import { useAccount } from './account-queries.ts';
import { SecondFactorsSection } from './SecondFactorsSection.tsx';
import { SessionsSection } from './SessionsSection.tsx';

/** Renders the signed-in user's profile, second factors and sessions. */
export function AccountPage() {
  const signedIn = useSignedInAccount();
  // The shell loaded the account when the session began; the factor counts may have changed since.
  const account = useAccount({ refetchOnMount: true }).data ?? signedIn;
  return (
    <Page title="Your account">
      <Stack component="section" aria-labelledby="profile-heading">
        <Title order={2} id="profile-heading">
          Profile
        </Title>
        <Table variant="vertical" withTableBorder maw={560}>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w={160}>Name</Table.Th>
              <Table.Td>{account.displayName}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Email</Table.Th>
              <Table.Td>{account.email}</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Stack>
      <SecondFactorsSection account={account} />
      <SessionsSection />
    </Page>
  );
}
