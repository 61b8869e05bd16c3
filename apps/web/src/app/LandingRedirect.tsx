import { Anchor, Loader, Text } from '@mantine/core';
import { Link, Navigate } from 'react-router';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { useOwnGrants } from '../shared/own-access.ts';
import { Page } from '../shared/Page.tsx';
import { landingPath } from './navigation.ts';

const ACCOUNT_LINK = (
  <Anchor component={Link} to="/account">
    your account
  </Anchor>
);

/**
 * Send the user at `/` on to the landing area their grants allow, so no one
 * lands on a screen they may not read. A user whose grants allow no area
 * stays here and reads why.
 */
export function LandingRedirect() {
  const grants = useOwnGrants();

  if (grants.isPending) return <Loader aria-label="Loading your permissions" />;
  if (grants.isError) {
    return (
      <Page title="Start page">
        <ErrorAlert error={grants.error} title="Your permissions could not be loaded" />
        <Text size="sm">Pick an area in the navigation, or open {ACCOUNT_LINK}.</Text>
      </Page>
    );
  }

  const path = landingPath(new Set(grants.data.permissions));
  if (path !== null) return <Navigate to={path} replace />;

  return (
    <Page title="No area open to you yet">
      <Text>
        You hold no role on any entity, so no area of Peytonix is open to you. An administrator
        grants roles through a change request. Meanwhile you can manage your sign-in methods and
        sessions on {ACCOUNT_LINK}.
      </Text>
    </Page>
  );
}
