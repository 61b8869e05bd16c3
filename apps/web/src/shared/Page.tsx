import { Stack, Title } from '@mantine/core';
import { type ReactNode, useEffect, useRef } from 'react';
import { useLocation } from 'react-router';

const APP_NAME = 'Peytonix';

/** Set document.title to "<title> · Peytonix" while the calling component is mounted. */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · ${APP_NAME}`;
  }, [title]);
}

/**
 * Move keyboard focus to `ref` after a client-side navigation, so screen
 * readers announce the new page the way they announce a full page load.
 * The first page of a visit keeps the browser's own focus: React Router
 * gives the initial location the key "default".
 */
export function useFocusOnNavigation(ref: React.RefObject<HTMLElement | null>): void {
  const { key } = useLocation();
  useEffect(() => {
    if (key !== 'default') ref.current?.focus();
  }, [key, ref]);
}

/** A screen with its level-1 heading; sets the document title and manages focus. */
export function Page({ title, children }: { title: string; children?: ReactNode }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useDocumentTitle(title);
  useFocusOnNavigation(headingRef);

  return (
    <Stack gap="lg">
      <Title order={1} ref={headingRef} tabIndex={-1}>
        {title}
      </Title>
      {children}
    </Stack>
  );
}
