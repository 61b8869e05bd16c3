import { Anchor, AppShell, Burger, Button, Group, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Outlet } from 'react-router';
import { useSignOut } from '../identity/use-sign-out.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { useOwnGrants } from '../shared/own-access.ts';
import { MainNavigation } from './MainNavigation.tsx';
import { visibleNavigation } from './navigation.ts';
import classes from './SkipLink.module.css';
import { useSignedInAccount } from './signed-in-account.ts';

export const MAIN_CONTENT_ID = 'main-content';

/** The signed-in frame: header with the user, navigation of the main areas, and the page. */
export function AppLayout() {
  const account = useSignedInAccount();
  const [navigationOpen, { toggle, close }] = useDisclosure(false);
  const signOut = useSignOut();
  // Areas follow the permissions the user's grants give anywhere; until they
  // load, every area shows. The server still rejects what a user may not do.
  const grants = useOwnGrants();
  const entries = visibleNavigation(
    grants.data === undefined ? undefined : new Set(grants.data.permissions),
  );

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !navigationOpen } }}
      padding="lg"
    >
      <a className={classes.skipLink} href={`#${MAIN_CONTENT_ID}`}>
        Skip to main content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={navigationOpen}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={navigationOpen ? 'Close navigation' : 'Open navigation'}
              aria-expanded={navigationOpen}
              aria-controls="main-navigation"
            />
            <Anchor component={Link} to="/" fw={700} size="lg" underline="never" c="inherit">
              Peytonix
            </Anchor>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" visibleFrom="xs">
              Signed in as{' '}
              <Anchor component={Link} to="/account">
                {account.displayName}
              </Anchor>
            </Text>
            <Button
              variant="default"
              size="xs"
              onClick={() => signOut.mutate()}
              loading={signOut.isPending}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" id="main-navigation" aria-label="Main">
        <MainNavigation entries={entries} onNavigate={close} />
      </AppShell.Navbar>
      <AppShell.Main id={MAIN_CONTENT_ID} tabIndex={-1}>
        {signOut.isError && <ErrorAlert error={signOut.error} title="Sign-out failed" />}
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
