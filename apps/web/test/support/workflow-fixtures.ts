import type { Page } from 'playwright-core';
import type { Role } from '../../../server/src/modules/access/permissions.ts';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { grantRoleDirectly } from '../../../server/test/support/entity-fixtures.ts';
import type { E2eServer } from './e2e-server.ts';
import { createUserWithTotp, type EnrolledUser } from './identity-fixtures.ts';

/** A user with TOTP, roles on ORG, and the server-side actor for fixtures that act as them. */
export interface Member extends EnrolledUser {
  actor: UserActor;
}

/**
 * Create `name@example.com` with PASSWORD and TOTP, and grant each of
 * `roles` on the organization root ORG, which covers every entity below it.
 */
export async function createMember(
  server: E2eServer,
  admin: UserActor,
  name: string,
  roles: readonly Role[],
): Promise<Member> {
  const user = await createUserWithTotp(server, admin, {
    email: `${name.toLowerCase()}@example.com`,
    displayName: name,
  });
  for (const role of roles) {
    await grantRoleDirectly(server.ownerUrl, { email: user.email, role, entityCode: 'ORG' });
  }
  const actor = (await server.services.identity.resolveCliActor(user.email)) as UserActor;
  return { ...user, actor };
}

/** Status and JSON body of the response to a request that the page sent with its own session. */
export interface PageResponse {
  status: number;
  body: Record<string, unknown> | null;
}

/**
 * Send a JSON request from the page with the session cookies and the CSRF
 * token, as the web app would, so a test can call a route that the page
 * does not offer.
 */
export async function requestFromPage(
  page: Page,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<PageResponse> {
  return await page.evaluate(
    async ({ method, path, body }) => {
      const pair = document.cookie
        .split(';')
        .map((cookie) => cookie.trim())
        .find((cookie) => cookie.startsWith('__Host-peytonix-csrf='));
      const csrf = pair === undefined ? '' : decodeURIComponent(pair.split('=')[1] ?? '');
      const response = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          accept: 'application/json, application/problem+json',
          'x-csrf-token': csrf,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>),
      };
    },
    { method, path, body },
  );
}

/** Open the Mantine Select or MultiSelect labelled `label` and pick the option `option`. */
export async function chooseOption(page: Page, label: string, option: string): Promise<void> {
  await page.getByRole('combobox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}
