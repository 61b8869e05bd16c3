import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { createEntityDirectly } from '../../../server/test/support/entity-fixtures.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import {
  createEngagement,
  createPreparerActor,
  createUserWithRole,
  runDuplicatePayments,
  TEST_KEY,
} from '../support/run-fixtures.ts';
import { expectHeading } from '../support/sign-in-page.ts';

/**
 * Move the mouse off the page, then run checkScreen. A click leaves the
 * pointer on the link it clicked, and axe-core would measure that link's
 * hover colors instead of the screen at rest.
 */
async function checkScreenAtRest(page: Page, name: string) {
  await page.mouse.move(0, 0);
  await checkScreen(page, name);
}

/** Run SQL as the database owner, for test setup that no route offers. */
async function asOwner(server: E2eServer, sql: string, values: unknown[]) {
  const client = new pg.Client({ connectionString: server.ownerUrl });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

describeInBrowser('dashboard and entities', () => {
  let server: E2eServer;
  let browser: Browser;
  let admin: UserActor;
  let seeder: UserActor;

  beforeAll(async () => {
    server = await startE2eServer();
    browser = await launchBrowser();
    admin = (await createFirstAdministrator(server)).actor;
    await createEntityDirectly(server.ownerUrl, {
      code: 'AP',
      parentCode: 'ORG',
      type: 'business_unit',
    });
    seeder = await createPreparerActor(server, admin, 'sam@example.com', 'ORG');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows a manager the counts and the trend', async () => {
    await createEngagement(server, 'AP-2024', 'AP');
    // Each vendor's position picks its invoice and amount, so run 2 flags V1
    // and V2 again, closes V3, and flags V9 with V3's invoice as new.
    const firstRun = await runDuplicatePayments(server, seeder, 'AP-2024', ['V1', 'V2', 'V3']);
    const secondRun = await runDuplicatePayments(server, seeder, 'AP-2024', ['V1', 'V2', 'V9']);
    // V2 becomes overdue and 45 days old, so the overdue count and a second age bucket show.
    const aged = await asOwner(
      server,
      `UPDATE exceptions SET due_on = current_date - 3, created_at = now() - interval '45 days'
        WHERE key_values->>0 = 'V2'`,
      [],
    );
    expect(aged.rowCount).toBe(1);

    const mia = await createUserWithRole(server, admin, {
      email: 'mia@example.com',
      displayName: 'Mia Manager',
      role: 'management',
      entityCode: 'ORG',
    });
    const page = await openPage(browser, server);
    await signInWithTotp(page, mia);

    const entity = page.getByRole('combobox', { name: 'Entity' });
    expect(await entity.inputValue()).toBe('ORG');
    await page.getByTestId('count-not-closed').filter({ hasText: '3' }).waitFor();
    expect(await page.getByTestId('count-overdue').textContent()).toBe('1');
    expect(await page.getByTestId('count-closed').textContent()).toBe('1');
    expect(await page.getByTestId('count-total').textContent()).toBe('4');
    const high = page.locator('[data-testid="severity-row"][data-severity="high"]');
    expect(await high.locator('td').allTextContents()).toEqual(['high', '3', '4']);
    expect(await page.getByTestId('by-entity-row').allTextContents()).toEqual([
      'AP-2024 (AP-2024)314',
    ]);
    expect(await page.getByTestId('ageing-row').allTextContents()).toEqual([
      '0-3000202',
      '31-6000101',
      '61-9000000',
      '91-18000000',
      '181+00000',
    ]);

    const trendRows = page.getByTestId('trend-row');
    await expect.poll(() => trendRows.count()).toBe(2);
    expect(await trendRows.allTextContents()).toEqual([
      expect.stringMatching(/^Run 1.*3000$/),
      expect.stringMatching(/^Run 2.*1201$/),
    ]);
    expect(await page.getByRole('combobox', { name: 'Test', exact: true }).inputValue()).toBe(
      `AP-2024/${TEST_KEY}`,
    );
    const chart = page.getByRole('img', { name: /latest 2 succeeded runs/ });
    await chart.locator('svg').waitFor();
    expect(await chart.getAttribute('aria-label')).toContain(
      'run 2: 1 new, 2 recurring, 0 reopened, 1 closed',
    );
    await page
      .getByRole('img', { name: /exceptions not closed by age/ })
      .locator('svg')
      .waitFor();
    await checkScreenAtRest(page, 'dashboard');

    await entity.selectOption('AP-2024');
    await page.waitForURL(/\?entity=AP-2024$/);
    await page.getByTestId('count-total').filter({ hasText: '4' }).waitFor();
    await page.getByRole('link', { name: 'Run 2' }).click();
    await expectHeading(page, `${TEST_KEY} run 2`);
    expect(page.url()).toContain(`/runs/${secondRun}`);

    await page.goto(`/runs/${firstRun}`);
    await expectHeading(page, `${TEST_KEY} run 1`);
    // Management reads runs but does not run tests.
    await page.getByTestId('run-status').filter({ hasText: 'Succeeded' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Re-perform' }).count()).toBe(0);

    await page.goto(`/runs?entity=AP-2024&test=${TEST_KEY}&status=succeeded&preview=false`);
    await expectHeading(page, 'Runs');
    const history = page.getByTestId('history-row');
    await history.first().waitFor();
    expect(await history.getByRole('link').allTextContents()).toEqual([
      `${TEST_KEY} run 2`,
      `${TEST_KEY} run 1`,
    ]);

    await page.goto('/entities');
    await expectHeading(page, 'Entities');
    await page.locator('[data-testid="entity-row"][data-code="AP-2024"]').waitFor();
    expect(await page.getByRole('button', { name: 'Create entity' }).count()).toBe(0);
  });

  it('lets an administrator create an entity', async () => {
    const alex = await createUserWithRole(server, admin, {
      email: 'alex@example.com',
      displayName: 'Alex Administrator',
      role: 'administrator',
      entityCode: 'ORG',
    });
    const page = await openPage(browser, server);
    await signInWithTotp(page, alex);
    await page.getByRole('link', { name: 'Entities', exact: true }).click();
    await expectHeading(page, 'Entities');

    const rows = page.getByTestId('entity-row');
    await rows.first().waitFor();
    const codes = async () =>
      await rows.evaluateAll((elements) => elements.map((row) => row.getAttribute('data-code')));
    // Depth first: each entity directly below its parent.
    expect((await codes()).slice(0, 2)).toEqual(['ORG', 'AP']);
    await checkScreenAtRest(page, 'entities');

    await page.getByRole('button', { name: 'Create entity' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an entity' });
    await dialog.waitFor();
    await dialog.getByRole('combobox', { name: 'Parent' }).selectOption('AP');
    await dialog.getByRole('combobox', { name: 'Type' }).selectOption('subsidiary');
    await dialog.getByRole('textbox', { name: 'Code' }).fill('AP UK');
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Payables UK');
    await dialog.getByRole('button', { name: 'Create entity' }).click();
    await dialog.getByText(/^Expected 1 to 64 letters, digits/).waitFor();
    await checkScreen(page, 'entities-create');

    await dialog.getByRole('textbox', { name: 'Code' }).fill('AP-UK');
    await dialog.getByRole('button', { name: 'Create entity' }).click();
    await page.getByRole('status').filter({ hasText: 'Entity AP-UK was created.' }).waitFor();
    const created = page.locator('[data-testid="entity-row"][data-code="AP-UK"]');
    await created.waitFor();
    expect(await created.textContent()).toContain('Payables UK');
    expect(await created.textContent()).toContain('Subsidiary');
    const order = await codes();
    expect(order.indexOf('AP-UK')).toBeGreaterThan(order.indexOf('AP'));

    await page.getByRole('textbox', { name: 'Search' }).fill('payables');
    await expect.poll(codes).toEqual(['AP-UK']);
  });
});
