import { Anchor, Text } from '@mantine/core';
import { Page } from '../shared/Page.tsx';

/** Placeholder for a main area whose screens are not built yet. */
export function NotAvailablePage({ title }: { title: string }) {
  return (
    <Page title={title}>
      <Text>
        {title} is not available in the web app yet. Until it is, use the API, which{' '}
        <Anchor href="/api/docs">the API reference</Anchor> describes.
      </Text>
    </Page>
  );
}
