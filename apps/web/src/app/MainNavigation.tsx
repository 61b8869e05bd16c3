import { NavLink as MantineNavLink, Stack } from '@mantine/core';
import { NavLink, useLocation } from 'react-router';
import type { NavigationEntry } from './navigation.ts';

/** Links to the main areas; React Router marks the current one with aria-current="page". */
export function MainNavigation({
  entries,
  onNavigate,
}: {
  entries: readonly NavigationEntry[];
  onNavigate: () => void;
}) {
  const { pathname } = useLocation();
  return (
    <Stack gap={2}>
      {entries.map((entry) => (
        <MantineNavLink
          key={entry.path}
          component={NavLink}
          to={entry.path}
          label={entry.label}
          active={pathname === entry.path || pathname.startsWith(`${entry.path}/`)}
          onClick={onNavigate}
        />
      ))}
    </Stack>
  );
}
