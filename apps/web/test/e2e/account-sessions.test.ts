import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, signInWithRecoveryCode, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator, createUserWithTotp } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import { expectHeading } from '../support/sign-in-page.ts';

describeInBrowser('account and sessions', () => {
  let server: E2eServer;
  let browser: Browser;
  let admin: UserActor;

  beforeAll(async () => {
    server = await startE2eServer();
    browser = await launchBrowser();
    admin = (await createFirstAdministrator(server)).actor;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('ends one session, then all', async () => {
    const ivy = await createUserWithTotp(server, admin, {
      email: 'ivy@example.com',
      displayName: 'Ivy Manager',
    });
    const laptop = await openPage(browser, server);
    const phone = await openPage(browser, server);
    const tablet = await openPage(browser, server);
    await signInWithTotp(laptop, ivy);
    await signInWithRecoveryCode(phone, ivy);
    await signInWithRecoveryCode(tablet, ivy);

    await laptop.getByRole('link', { name: 'Ivy Manager' }).click();
    await expectHeading(laptop, 'Your account');
    // A client-side navigation moves focus to the new page's heading.
    expect(await laptop.evaluate(() => document.activeElement?.textContent)).toBe('Your account');
    // The page reads the account again, so it counts the codes the other two browsers spent.
    await laptop.getByText('Recovery codes left: 8').waitFor();
    const rows = laptop.getByTestId('session-row');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await laptop.locator('[data-testid="session-row"][data-current="true"]').count()).toBe(
      1,
    );
    await laptop.getByText('Authenticator app:').waitFor();
    await checkScreen(laptop, 'account');

    // End one other session from the list. Its browser goes to sign-in on its next request.
    await rows
      .filter({ hasNot: laptop.getByText('This session') })
      .first()
      .getByRole('button', { name: /^Sign out the session/ })
      .click();
    await expect.poll(() => rows.count()).toBe(2);

    await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();
    const dialog = laptop.getByRole('dialog', { name: 'Sign out everywhere?' });
    await dialog.waitFor();
    await checkScreen(laptop, 'account-sign-out-everywhere');
    await dialog.getByRole('button', { name: 'Sign out everywhere' }).click();

    await expectHeading(laptop, 'Sign in');
    await laptop.getByText('You signed out everywhere. 2 sessions ended.').waitFor();

    for (const page of [phone, tablet]) {
      await page.getByRole('link', { name: 'Ivy Manager' }).click();
      await expectHeading(page, 'Sign in');
      await page.getByText('Your session has ended. Sign in again.').waitFor();
    }
    const ivyActor = (await server.services.identity.resolveCliActor(ivy.email)) as UserActor;
    expect(await server.services.auth.account.listSessions(ivyActor)).toEqual([]);
  });

  it('signs out of this session only', async () => {
    const jon = await createUserWithTotp(server, admin, {
      email: 'jon@example.com',
      displayName: 'Jon Reviewer',
    });
    const first = await openPage(browser, server);
    const second = await openPage(browser, server);
    await signInWithTotp(first, jon);
    await signInWithRecoveryCode(second, jon);

    await first.getByRole('button', { name: 'Sign out' }).click();
    await expectHeading(first, 'Sign in');
    await first.getByText('You signed out.').waitFor();
    expect((await first.context().cookies()).map((cookie) => cookie.name)).toEqual([]);

    await first.goto('/account');
    await expectHeading(first, 'Sign in');
    await second.getByRole('link', { name: 'Jon Reviewer' }).click();
    await expectHeading(second, 'Your account');
    await expect.poll(() => second.getByTestId('session-row').count()).toBe(1);
  });
});
