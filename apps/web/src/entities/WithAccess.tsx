import { Loader } from '@mantine/core';
import { type ReactNode, useMemo } from 'react';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { useOwnAccess } from '../shared/own-access.ts';
import { type Access, toAccess } from './entity-access.ts';

/**
 * Render `children` with the signed-in user's Access once their grants and
 * entities have loaded, a loader until then, and the error if either fails.
 */
export function WithAccess({ children }: { children: (access: Access) => ReactNode }) {
  const own = useOwnAccess();
  const access = useMemo(
    () => (own.access === undefined ? undefined : toAccess(own.access)),
    [own.access],
  );
  if (own.error !== null) {
    return <ErrorAlert error={own.error} title="Your permissions could not be loaded" />;
  }
  if (access === undefined) return <Loader aria-label="Loading your permissions" />;
  return children(access);
}
