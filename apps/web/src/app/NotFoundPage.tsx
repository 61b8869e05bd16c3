import { Anchor, Text } from '@mantine/core';
import { Link, useLocation } from 'react-router';
import { Page } from '../shared/Page.tsx';

export function NotFoundPage() {
  const { pathname } = useLocation();
  return (
    <Page title="Page not found">
      <Text>
        No page exists at <code>{pathname}</code>. Check the address, or go to the{' '}
        <Anchor component={Link} to="/">
          start page
        </Anchor>
        .
      </Text>
    </Page>
  );
}
