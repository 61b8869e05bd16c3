import { Loader, Tabs, Text } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { canOnRoot } from '../changes/user-names.ts';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { Page } from '../shared/Page.tsx';
import { GrantsPanel } from './GrantsPanel.tsx';
import { UsersPanel } from './UsersPanel.tsx';
import { useUsers } from './users-api.ts';

function Administration({ access }: { access: Access }) {
  const [params, setParams] = useSearchParams();
  const users = useUsers();
  const tab = params.get('tab') === 'grants' ? 'grants' : 'users';
  const mayReadGrants = access.entitiesWith('grants.read').length > 0;

  return (
    <Tabs
      value={tab}
      onChange={(value) =>
        setParams(value === 'grants' ? { tab: 'grants' } : {}, { replace: true })
      }
      keepMounted={false}
    >
      <Tabs.List>
        <Tabs.Tab value="users">Users</Tabs.Tab>
        {mayReadGrants && <Tabs.Tab value="grants">Role grants</Tabs.Tab>}
      </Tabs.List>
      <Tabs.Panel value="users" pt="md">
        <UsersPanel canManage={canOnRoot(access, 'users.manage')} />
      </Tabs.Panel>
      {mayReadGrants && (
        <Tabs.Panel value="grants" pt="md">
          {users.isPending && <Loader aria-label="Loading users" />}
          {users.isError && <ErrorAlert error={users.error} title="Users could not be loaded" />}
          {users.isSuccess && <GrantsPanel access={access} users={users.data} />}
        </Tabs.Panel>
      )}
    </Tabs>
  );
}

/**
 * User administration and role grants, for administrators: user
 * administration is organization-wide, so it needs users.read on the
 * organization root.
 */
export function AdministrationPage() {
  return (
    <Page title="Administration">
      <WithAccess>
        {(access) =>
          canOnRoot(access, 'users.read') ? (
            <Administration access={access} />
          ) : (
            <Text>
              Administration needs the administrator role on the organization root. Ask an
              administrator if you need it.
            </Text>
          )
        }
      </WithAccess>
    </Page>
  );
}
