import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Role } from '../../../server/src/modules/access/permissions.ts';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, signInWithRecoveryCode, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator, createUserWithTotp } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import { expectHeading, submitPassword } from '../support/sign-in-page.ts';
import { createMember, type Member, requestFromPage } from '../support/workflow-fixtures.ts';

describeInBrowser('administration', () => {
  let server: E2eServer;
  let browser: Browser;
  let admin: UserActor;
  let alice: Member;

  beforeAll(async () => {
    server = await startE2eServer();
    browser = await launchBrowser();
    admin = (await createFirstAdministrator(server)).actor;
    alice = await createMember(server, admin, 'Alice', ['administrator']);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function userIdOf(email: string): Promise<string> {
    return ((await server.services.identity.resolveCliActor(email)) as UserActor).userId;
  }

  async function userHolds(email: string, role: Role): Promise<boolean> {
    const grants = await server.services.grants.list(admin, { userId: await userIdOf(email) });
    return grants.some((grant) => grant.role === role);
  }

  it('administrator creates and suspends users', async () => {
    const sue = await createUserWithTotp(server, admin, {
      email: 'sue@example.com',
      displayName: 'Sue',
    });
    const page = await openPage(browser, server);
    await signInWithTotp(page, alice);
    await page.goto('/administration');
    await expectHeading(page, 'Administration');

    // Creating a user shows the one-time setup secret.
    await page.getByLabel('Email').fill('new.hire@example.com');
    await page.getByLabel('Display name').fill('New Hire');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByTestId('setup-secret').waitFor();
    expect(await page.getByTestId('setup-secret').textContent()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await page.getByTestId('user-row').filter({ hasText: 'new.hire@example.com' }).waitFor();

    // Filters narrow the list.
    await page.getByLabel('Search').fill('sue@');
    await expect.poll(() => page.getByTestId('user-row').count()).toBe(1);
    await checkScreen(page, 'administration-users');

    await page.getByRole('button', { name: 'Suspend sue@example.com' }).click();
    const dialog = page.getByRole('dialog', { name: 'Suspend sue@example.com?' });
    await dialog.getByRole('button', { name: 'Suspend' }).click();
    await page.getByText('sue@example.com was suspended.').waitFor();
    const sueRow = page.getByTestId('user-row').filter({ hasText: 'sue@example.com' });
    await expect.poll(() => sueRow.textContent()).toContain('suspended');
    await sueRow.getByRole('button', { name: 'Reactivate sue@example.com' }).waitFor();

    // A suspended user gets the same response as a wrong password.
    const suePage = await openPage(browser, server);
    await suePage.goto('/sign-in');
    const login = suePage.waitForResponse('**/api/v1/auth/login');
    await submitPassword(suePage, sue.email);
    expect((await login).status()).toBe(401);
    const alert = suePage.getByRole('alert');
    await alert.waitFor();
    expect(await alert.getAttribute('data-error-code')).toBe('INVALID_CREDENTIALS');
    await expectHeading(suePage, 'Sign in');
  });

  it('administrator ends sessions and reactivates', async () => {
    const rita = await createMember(server, admin, 'Rita', ['management']);
    const ritaPage = await openPage(browser, server);
    await signInWithTotp(ritaPage, rita);

    const page = await openPage(browser, server);
    await signInWithTotp(page, alice);
    await page.goto('/administration');
    await expectHeading(page, 'Administration');
    await page.getByLabel('Search').fill('rita@');
    const ritaRow = page.getByTestId('user-row').filter({ hasText: 'rita@example.com' });
    await ritaRow.getByRole('button', { name: 'Revoke sessions rita@example.com' }).click();
    const revokeDialog = page.getByRole('dialog', { name: 'Revoke sessions rita@example.com?' });
    await revokeDialog.getByRole('button', { name: 'Revoke sessions' }).click();
    await page.getByText('rita@example.com was signed out everywhere (1 session ended).').waitFor();

    // Her open page loses its session at the next request and shows the sign-in page.
    await ritaPage.goto('/account');
    await expectHeading(ritaPage, 'Sign in');

    // A suspended user cannot sign in, and a reactivated one can again.
    await ritaRow.getByRole('button', { name: 'Suspend rita@example.com' }).click();
    await page
      .getByRole('dialog', { name: 'Suspend rita@example.com?' })
      .getByRole('button', { name: 'Suspend' })
      .click();
    await page.getByText('rita@example.com was suspended.').waitFor();
    await ritaRow.getByRole('button', { name: 'Reactivate rita@example.com' }).click();
    await page
      .getByRole('dialog', { name: 'Reactivate rita@example.com?' })
      .getByRole('button', { name: 'Reactivate' })
      .click();
    await page.getByText('rita@example.com was reactivated.').waitFor();
    await expect.poll(() => ritaRow.textContent()).toContain('active');

    const again = await openPage(browser, server);
    await signInWithRecoveryCode(again, rita);
  });

  it('deprovisioned user keeps no actions', async () => {
    const dan = await createUserWithTotp(server, admin, {
      email: 'dan@example.com',
      displayName: 'Dan',
    });
    const danId = await userIdOf(dan.email);
    const page = await openPage(browser, server);
    await signInWithRecoveryCode(page, alice);
    await page.goto('/administration');
    await expectHeading(page, 'Administration');
    const danRow = page.getByTestId('user-row').filter({ hasText: 'dan@example.com' });
    await danRow.getByRole('button', { name: 'Deprovision dan@example.com' }).click();
    const dialog = page.getByRole('dialog', { name: 'Deprovision dan@example.com?' });
    await dialog.getByText('Deprovisioning is final').waitFor();
    await dialog.getByRole('button', { name: 'Deprovision' }).click();
    await page.getByText('dan@example.com was deprovisioned.').waitFor();
    await expect.poll(() => danRow.textContent()).toContain('deprovisioned');
    expect(await danRow.getByRole('button').count()).toBe(0);

    // The API rejects a reactivation, whatever the page offers.
    const reactivate = await requestFromPage(
      page,
      'POST',
      `/api/v1/users/${encodeURIComponent(danId)}/reactivate`,
    );
    expect(reactivate.status).toBe(422);
    expect(reactivate.body?.code).toBe('BUSINESS_RULE_VIOLATED');

    const danPage = await openPage(browser, server);
    await danPage.goto('/sign-in');
    const login = danPage.waitForResponse('**/api/v1/auth/login');
    await submitPassword(danPage, dan.email);
    expect((await login).status()).toBe(401);
  });

  it('revocation request ends a grant once approved', async () => {
    const bruno = await createMember(server, admin, 'Bruno', ['administrator']);
    const vera = await createMember(server, admin, 'Vera', ['reviewer']);
    const page = await openPage(browser, server);
    await signInWithTotp(page, bruno);
    await page.goto('/administration?tab=grants');
    await expectHeading(page, 'Administration');
    await page
      .getByRole('tabpanel')
      .getByLabel('User', { exact: true })
      .last()
      .selectOption({ label: vera.email });
    const row = page.getByTestId('grant-row').filter({ hasText: 'reviewer' });
    await row
      .getByRole('button', { name: 'Request revocation of reviewer for vera@example.com on ORG' })
      .click();

    const dialog = page.getByRole('dialog', { name: 'Request a revocation' });
    await dialog.getByRole('button', { name: 'Request revocation' }).click();
    expect(await dialog.getByRole('button', { name: 'Request revocation' }).count()).toBe(1);
    await dialog.getByLabel('Justification').fill('Vera moved to the treasury team.');
    await dialog.getByRole('button', { name: 'Request revocation' }).click();
    await dialog.getByText('Revocation requested').waitFor();
    await checkScreen(page, 'administration-revocation');
    await dialog.getByRole('link', { name: 'the change request' }).click();
    await expectHeading(page, 'Change request: Revoke a role');
    const requestPath = new URL(page.url()).pathname;

    // The grant stays in force until another administrator approves.
    expect(await userHolds(vera.email, 'reviewer')).toBe(true);
    const other = await openPage(browser, server);
    await signInWithRecoveryCode(other, alice);
    await other.goto(requestPath);
    await expectHeading(other, 'Change request: Revoke a role');
    await other.getByRole('button', { name: 'Approve and apply' }).click();
    await expect
      .poll(() => other.getByTestId('change-request-status').textContent())
      .toBe('applied');
    expect(await userHolds(vera.email, 'reviewer')).toBe(false);
  });

  it('administrator cannot change own status', async () => {
    const page = await openPage(browser, server);
    await signInWithTotp(page, await createMember(server, admin, 'Otto', ['administrator']));
    await page.goto('/administration');
    await expectHeading(page, 'Administration');
    const ownRow = page.getByTestId('user-row').filter({ hasText: 'otto@example.com' });
    await ownRow.getByText('Another administrator manages your account.').waitFor();
    expect(await ownRow.getByRole('button').count()).toBe(0);
  });

  it('manager sees no administration', async () => {
    const page = await openPage(browser, server);
    await signInWithTotp(page, await createMember(server, admin, 'Mia', ['management']));
    await page.goto('/administration');
    await expectHeading(page, 'Administration');
    await page.getByText('Administration needs the administrator role').waitFor();
    expect(await page.getByRole('button', { name: 'Create user' }).count()).toBe(0);
    expect(await page.getByRole('tab').count()).toBe(0);
  });
});
