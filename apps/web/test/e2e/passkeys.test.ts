import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator, createUserWithPassword } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import { expectHeading, submitPassword } from '../support/sign-in-page.ts';

/**
 * Give the page's browser context a virtual platform authenticator through
 * the Chrome DevTools Protocol's WebAuthn domain. It verifies the user and
 * confirms presence by itself, as Touch ID or Windows Hello would.
 */
async function addVirtualAuthenticator(page: Page): Promise<void> {
  const devtools = await page.context().newCDPSession(page);
  await devtools.send('WebAuthn.enable');
  await devtools.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

describeInBrowser('passkeys', () => {
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

  it('enrols a passkey as the first factor and signs in with it', async () => {
    await createUserWithPassword(server, admin, {
      email: 'kim@example.com',
      displayName: 'Kim Preparer',
    });
    const page = await openPage(browser, server);
    await addVirtualAuthenticator(page);

    await page.goto('/sign-in');
    await submitPassword(page, 'kim@example.com');
    await expectHeading(page, 'Set up a second factor');
    await page.getByRole('button', { name: 'Register a passkey' }).click();
    await page.getByLabel(/^Passkey name/).fill('Test laptop');
    await checkScreen(page, 'mfa-enrolment-passkey');
    await page.getByRole('button', { name: 'Register passkey' }).click();

    // The account had no recovery codes, so the server issues them with the first passkey.
    await expectHeading(page, 'Your recovery codes');
    expect(await page.getByTestId('recovery-codes').locator('li').count()).toBe(10);
    await page.getByLabel('I have saved these recovery codes').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    // Without a grant, no area is open, and the start page explains why.
    await expectHeading(page, 'No area open to you yet');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expectHeading(page, 'Sign in');
    await submitPassword(page, 'kim@example.com');
    await page.getByRole('tab', { name: 'Passkey' }).click();
    await checkScreen(page, 'sign-in-passkey');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await expectHeading(page, 'No area open to you yet');

    await page.getByRole('link', { name: 'Kim Preparer' }).click();
    await expectHeading(page, 'Your account');
    await page.getByText('Passkeys: 1').waitFor();
    await page.getByText(/^Test laptop, added/).waitFor();
  });
});
