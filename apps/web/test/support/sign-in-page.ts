import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { PASSWORD } from './identity-fixtures.ts';

/** Fill in and submit the password step of /sign-in, which the page must show already. */
export async function submitPassword(page: Page, email: string, password = PASSWORD) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Wait until the page shows the level-1 heading `title` and the document
 * title matches it. On a timeout the error names the heading and the alerts
 * on the page, such as a rejected code, so the failure explains itself.
 */
export async function expectHeading(page: Page, title: string) {
  try {
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
  } catch (error) {
    const headings = await page.getByRole('heading', { level: 1 }).allTextContents();
    const alerts = await page.getByRole('alert').allTextContents();
    throw new Error(
      `Expected the heading ${JSON.stringify(title)} at ${page.url()}; headings: ${JSON.stringify(headings)}; alerts: ${JSON.stringify(alerts)}`,
      { cause: error },
    );
  }
  expect(await page.title()).toBe(`${title} · Peytonix`);
}

/**
 * Wait until sign-in has led into the app: past the sign-in page to a page
 * with its level-1 heading. That is the first area the user's grants allow,
 * or the start page `/` when they allow none.
 */
export async function expectLandingPage(page: Page): Promise<void> {
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
  await page.getByRole('heading', { level: 1 }).waitFor();
}
