import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import {
  createFirstAdministrator,
  createUserWithSetupSecret,
  PASSWORD,
} from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import { expectHeading, submitPassword } from '../support/sign-in-page.ts';
import { TestAuthenticator } from '../support/totp.ts';

describeInBrowser('first password and MFA enrolment', () => {
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

  it('enrols TOTP after the first password', async () => {
    const created = await createUserWithSetupSecret(server, admin, {
      email: 'gil@example.com',
      displayName: 'Gil Preparer',
    });
    const page = await openPage(browser, server);

    // The administrator hands over a link with the secret in the fragment.
    await page.goto(`/setup-password#secret=${created.setupSecret}`);
    await expectHeading(page, 'Set your first password');
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.getByLabel('Setup secret').inputValue()).toBe(created.setupSecret);
    await page.getByLabel(/^New password/).fill(PASSWORD);
    await page.getByLabel(/^Repeat the new password/).fill(PASSWORD);
    await checkScreen(page, 'setup-password');
    await page.getByRole('button', { name: 'Set password' }).click();

    await expectHeading(page, 'Sign in');
    await page.getByText('Your password is set.').waitFor();
    await submitPassword(page, 'gil@example.com');

    // No factor yet, so the session may only enrol one.
    await expectHeading(page, 'Set up a second factor');
    await page.getByText('Your organization requires a second factor.').waitFor();
    await checkScreen(page, 'mfa-enrolment-choice');
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();

    const qrCode = page.getByTestId('totp-qr-code');
    await qrCode.waitFor();
    // The SVG loads as a data: URL under the server's content security policy.
    await expect
      .poll(() => qrCode.evaluate((image) => (image as HTMLImageElement).naturalWidth))
      .toBeGreaterThan(0);
    const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replaceAll(
      ' ',
      '',
    );
    const uri = new URL((await page.getByTestId('totp-uri').getAttribute('href')) ?? '');
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(secret);
    await checkScreen(page, 'mfa-enrolment-totp');

    const authenticator = new TestAuthenticator(secret, false);
    await page.getByLabel('6-digit code from the app').fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Confirm' }).click();

    await expectHeading(page, 'Your recovery codes');
    const codes = await page.getByTestId('recovery-codes').locator('li').allTextContents();
    expect(codes).toHaveLength(10);
    await checkScreen(page, 'mfa-recovery-codes');
    const continueButton = page.getByRole('button', { name: 'Continue' });
    expect(await continueButton.isDisabled()).toBe(true);
    await page.getByLabel('I have saved these recovery codes').check();
    await continueButton.click();
    // Without a grant, no area is open, and the start page explains why.
    await expectHeading(page, 'No area open to you yet');

    // The enrolled authenticator and a saved recovery code both work for the next sign-in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expectHeading(page, 'Sign in');
    await signInWithTotp(page, {
      email: 'gil@example.com',
      displayName: 'Gil Preparer',
      authenticator,
      recoveryCodes: codes,
    });
  });

  it('shows the server message for a spent setup secret', async () => {
    const created = await createUserWithSetupSecret(server, admin, {
      email: 'hal@example.com',
      displayName: 'Hal Reviewer',
    });
    const page = await openPage(browser, server);
    await page.goto('/setup-password');
    await page.getByLabel('Setup secret').fill(created.setupSecret);
    await page.getByLabel(/^New password/).fill(PASSWORD);
    await page.getByLabel(/^Repeat the new password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expectHeading(page, 'Sign in');

    await page.goto('/setup-password');
    await page.getByLabel('Setup secret').fill(created.setupSecret);
    await page.getByLabel(/^New password/).fill(PASSWORD);
    await page.getByLabel(/^Repeat the new password/).fill(PASSWORD);
    const setupResponse = page.waitForResponse('**/api/v1/auth/setup');
    await page.getByRole('button', { name: 'Set password' }).click();
    const problem = (await (await setupResponse).json()) as { detail: string; requestId: string };

    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(problem.detail);
    expect(await alert.getByTestId('request-id').textContent()).toBe(problem.requestId);
    await checkScreen(page, 'setup-password-rejected');
  });
});
