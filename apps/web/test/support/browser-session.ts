import type { Browser, BrowserContext, Page } from 'playwright-core';
import { onTestFinished } from 'vitest';
import type { E2eServer } from './e2e-server.ts';
import type { EnrolledUser } from './identity-fixtures.ts';
import { expectLandingPage, submitPassword } from './sign-in-page.ts';

/** The session cookies that the server sets for a browser (see token-delivery.ts on the server). */
export const SESSION_COOKIES = [
  '__Host-peytonix-access',
  '__Secure-peytonix-refresh',
  '__Host-peytonix-csrf',
] as const;

/** Time that one page action may wait for an element or a navigation. */
const ACTION_TIMEOUT_MS = 10_000;

/**
 * Open a page in a new browser context, so no cookies carry over, and close
 * the context when the test finishes. The context requests reduced motion,
 * so dialogs appear without a fade that would make axe-core measure
 * half-transparent colors.
 */
export async function openPage(browser: Browser, server: E2eServer): Promise<Page> {
  const context: BrowserContext = await browser.newContext({
    baseURL: server.origin,
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  onTestFinished(() => context.close());
  return await context.newPage();
}

/** Sign `user` in through the sign-in page with password and TOTP, and wait for the first page. */
export async function signInWithTotp(page: Page, user: EnrolledUser): Promise<void> {
  await page.goto('/sign-in');
  await submitPassword(page, user.email);
  await page.getByLabel('6-digit code').fill(await user.authenticator.nextCode());
  await page.getByRole('button', { name: 'Verify' }).click();
  await expectLandingPage(page);
}

/**
 * Sign `user` in through the sign-in page with password and their next
 * unused recovery code, and wait for the first page. Tests use it for a
 * second browser of the same user, because TOTP accepts each 30-second
 * step once and a second TOTP sign-in would wait for the next step.
 */
export async function signInWithRecoveryCode(page: Page, user: EnrolledUser): Promise<void> {
  const code = user.recoveryCodes.shift();
  if (code === undefined) throw new Error(`${user.email} has no unused recovery code left`);
  await page.goto('/sign-in');
  await submitPassword(page, user.email);
  await page.getByRole('tab', { name: 'Recovery code' }).click();
  await page.getByRole('textbox', { name: 'Recovery code' }).fill(code);
  await page.getByRole('button', { name: 'Use recovery code' }).click();
  await expectLandingPage(page);
}
