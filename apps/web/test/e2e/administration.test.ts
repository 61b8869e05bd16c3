import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator, createUserWithTotp } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import { expectHeading, submitPassword } from '../support/sign-in-page.ts';
import { createMember, type Member } from '../support/workflow-fixtures.ts';

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
