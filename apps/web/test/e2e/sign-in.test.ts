import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, SESSION_COOKIES, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator, createUserWithTotp } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import { expectHeading, submitPassword } from '../support/sign-in-page.ts';

describeInBrowser('sign-in', () => {
  let server: E2eServer;
  let browser: Browser;
  let admin: UserActor;

  // Each test signs in a user of its own, because failed and unfinished
  // sign-ins of one account count toward its sign-in throttle.
  const createUser = (name: string) =>
    createUserWithTotp(server, admin, {
      email: `${name.toLowerCase()}@example.com`,
      displayName: `${name} Auditor`,
    });

  beforeAll(async () => {
    server = await startE2eServer();
    browser = await launchBrowser();
    admin = (await createFirstAdministrator(server)).actor;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('signs in with password and TOTP', async () => {
    const ana = await createUser('Ana');
    const page = await openPage(browser, server);

    await page.goto('/exceptions');
    await expectHeading(page, 'Sign in');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    // A browser that never had a session gets no "session has ended" notice.
    expect(await page.getByText('Your session has ended').count()).toBe(0);
    await checkScreen(page, 'sign-in');

    await submitPassword(page, ana.email);
    await page.getByLabel('6-digit code').waitFor();
    await checkScreen(page, 'sign-in-totp');
    await page.getByLabel('6-digit code').fill(await ana.authenticator.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();

    // Back on the page that needed the session.
    await expectHeading(page, 'Exceptions');
    // Ana has no role, so the queue has no entity to show.
    await page.getByText('No entity is in your scope yet').waitFor();
    const cookies = await page.context().cookies();
    for (const name of SESSION_COOKIES) {
      const cookie = cookies.find((candidate) => candidate.name === name);
      expect(cookie, name).toBeDefined();
      expect(cookie?.secure, name).toBe(true);
      expect(cookie?.sameSite, name).toBe('Strict');
    }
  });

  it('shows the server message and request id for a wrong password', async () => {
    const ben = await createUser('Ben');
    const page = await openPage(browser, server);
    await page.goto('/sign-in');

    const loginResponse = page.waitForResponse('**/api/v1/auth/login');
    await submitPassword(page, ben.email, 'not-the-password-0');
    const response = await loginResponse;
    const problem = (await response.json()) as { code: string; detail: string; requestId: string };

    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(response.status()).toBe(401);
    expect(problem.code).toBe('INVALID_CREDENTIALS');
    expect(await alert.textContent()).toContain(problem.detail);
    expect(await alert.textContent()).toContain('INVALID_CREDENTIALS');
    expect(await alert.getByTestId('request-id').textContent()).toBe(problem.requestId);
    expect(problem.requestId).toBe(response.headers()['x-request-id']);
    await checkScreen(page, 'sign-in-wrong-password');
  });

  it('shows the server message for a wrong TOTP code', async () => {
    const cyd = await createUser('Cyd');
    const page = await openPage(browser, server);
    await page.goto('/sign-in');
    await submitPassword(page, cyd.email);

    const totpResponse = page.waitForResponse('**/api/v1/auth/login/totp');
    await page.getByLabel('6-digit code').fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    const problem = (await (await totpResponse).json()) as { detail: string; requestId: string };

    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(problem.detail);
    expect(await alert.getByTestId('request-id').textContent()).toBe(problem.requestId);
  });

  it('signs in with a recovery code', async () => {
    const dee = await createUser('Dee');
    const page = await openPage(browser, server);
    await page.goto('/sign-in');
    await submitPassword(page, dee.email);

    await page.getByRole('tab', { name: 'Recovery code' }).click();
    await page.getByRole('textbox', { name: 'Recovery code' }).fill(dee.recoveryCodes[0] ?? '');
    await checkScreen(page, 'sign-in-recovery-code');
    await page.getByRole('button', { name: 'Use recovery code' }).click();

    // Without a grant, no area is open, and the start page explains why.
    await expectHeading(page, 'No area open to you yet');
    await checkScreen(page, 'start-without-area');
    await page.getByRole('link', { name: 'Dee Auditor' }).click();
    await expectHeading(page, 'Your account');
    await page.getByText('Recovery codes left: 9').waitFor();
  });

  it('loads client routes on a hard refresh', async () => {
    const eve = await createUser('Eve');
    const page = await openPage(browser, server);
    await signInWithTotp(page, eve);

    for (const [path, title] of [
      ['/account', 'Your account'],
      ['/audit-trail', 'Audit trail'],
      ['/no-such-page', 'Page not found'],
    ] as const) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(200);
      await expectHeading(page, title);
    }
    await checkScreen(page, 'not-found');

    // The first Tab reaches the skip link, which moves focus past the navigation.
    await page.keyboard.press('Tab');
    const skipLink = page.getByRole('link', { name: 'Skip to main content' });
    expect(await skipLink.evaluate((link) => link === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('MAIN');
  });

  it('refreshes an expired access token once and retries', async () => {
    const fay = await createUser('Fay');
    const page = await openPage(browser, server);
    await signInWithTotp(page, fay);
    // The access cookie lives as long as the token, so an expired token is a missing cookie.
    await page.context().clearCookies({ name: '__Host-peytonix-access' });

    const refreshes: number[] = [];
    page.on('response', (response) => {
      if (response.url().endsWith('/api/v1/auth/refresh')) refreshes.push(response.status());
    });
    await page.getByRole('link', { name: 'Fay Auditor' }).click();

    await expectHeading(page, 'Your account');
    await page.getByTestId('session-row').first().waitFor();
    expect(refreshes).toEqual([200]);
    const cookies = await page.context().cookies();
    expect(cookies.map((cookie) => cookie.name)).toContain('__Host-peytonix-access');
  });
});
