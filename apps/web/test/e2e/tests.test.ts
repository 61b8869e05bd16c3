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
  actorOf,
  createPreparerActor,
  createUserWithRole,
  duplicatePaymentsCsv,
  executeRun,
  importPayments,
  TEST_KEY,
} from '../support/run-fixtures.ts';
import { expectHeading } from '../support/sign-in-page.ts';

const CUSTOM_KEY = 'large-payments';

/** Build a definition as `peytonix tests import` reads it, with the threshold in the SQL so that versions differ. */
function largePayments(threshold: string, keyColumns: string[]) {
  return {
    key: CUSTOM_KEY,
    name: 'Large payments',
    severity: 'high',
    inputs: [
      {
        name: 'payments',
        description: 'Vendor payments.',
        fields: [
          { name: 'vendor_id', type: 'text', description: 'Vendor.', required: true },
          { name: 'amount', type: 'decimal', description: 'Amount paid.', required: true },
        ],
      },
    ],
    parameters: [
      {
        name: 'threshold',
        type: 'decimal',
        default: threshold,
        description: 'Smallest flagged amount.',
      },
    ],
    keyColumns,
    sql: `SELECT DISTINCT ${keyColumns.join(', ')}\nFROM payments\nWHERE amount >= $threshold AND amount >= ${threshold}\nORDER BY vendor_id`,
  };
}

/** Move the mouse off the page, so axe-core measures links at rest instead of hovered. */
async function checkScreenAtRest(page: Page, name: string) {
  await page.mouse.move(0, 0);
  await checkScreen(page, name);
}

describeInBrowser('tests', () => {
  let server: E2eServer;
  let browser: Browser;
  let admin: UserActor;
  let seeder: UserActor;
  let approver: UserActor;

  /** Draft `definition`, have the seeder request activation and the approver approve it, then run it. */
  async function activateAndRun(definition: ReturnType<typeof largePayments>) {
    const drafted = await server.services.testDefinitions.importDraft(seeder, 'AP', definition);
    const request = await server.services.testDefinitions.requestActivation(seeder, {
      entity: 'AP',
      test: CUSTOM_KEY,
      version: drafted.version,
      justification: 'Reviewed threshold for large payments.',
    });
    await server.services.changeRequests.approve(approver, request.id, {
      diffSha256: request.diffSha256,
    });
    const { runId } = await server.services.runs.request(seeder, {
      entityCode: 'AP',
      test: CUSTOM_KEY,
      inputs: { payments: { dataset: 'Payments' } },
      fieldMap: {},
      parameters: {},
      preview: false,
      via: 'api',
    });
    await executeRun(server, runId, seeder);
  }

  beforeAll(async () => {
    server = await startE2eServer();
    browser = await launchBrowser();
    admin = (await createFirstAdministrator(server)).actor;
    await createEntityDirectly(server.ownerUrl, {
      code: 'AP',
      parentCode: 'ORG',
      type: 'business_unit',
    });
    seeder = await createPreparerActor(server, admin, 'sam@example.com', 'AP');
    await createUserWithRole(server, admin, {
      email: 'val@example.com',
      displayName: 'Val Approver',
      role: 'reviewer',
      entityCode: 'AP',
    });
    approver = await actorOf(server, 'val@example.com');

    await importPayments(server, seeder, 'AP', duplicatePaymentsCsv(['V1', 'V2', 'V3']));
    const { runId } = await server.services.runs.request(seeder, {
      entityCode: 'AP',
      test: TEST_KEY,
      inputs: { payments: { dataset: 'Payments' } },
      fieldMap: {},
      parameters: {},
      preview: false,
      via: 'api',
    });
    await executeRun(server, runId, seeder);
    await activateAndRun(largePayments('101.00', ['vendor_id', 'amount']));
    await activateAndRun(largePayments('102.00', ['vendor_id']));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('library filters, detail, diff and submit', async () => {
    const pia = await createUserWithRole(server, admin, {
      email: 'pia@example.com',
      displayName: 'Pia Preparer',
      role: 'preparer',
      entityCode: 'AP',
    });
    const piaActor = await actorOf(server, pia.email);
    const draft = await server.services.testDefinitions.importDraft(
      piaActor,
      'AP',
      largePayments('103.00', ['vendor_id']),
    );

    const page = await openPage(browser, server);
    await signInWithTotp(page, pia);
    await page.getByRole('link', { name: 'Tests', exact: true }).click();
    await expectHeading(page, 'Tests');
    const testRows = page.getByTestId('test-row');
    const templateRows = page.getByTestId('template-row');
    await expect.poll(() => testRows.count()).toBe(2);
    expect(await templateRows.count()).toBeGreaterThan(5);
    const exact = testRows.filter({ hasText: TEST_KEY });
    expect(await exact.textContent()).toContain('payments');
    expect(await exact.textContent()).toContain('vendor_id: text, required');
    await checkScreenAtRest(page, 'tests-library');

    // Text and category narrow both lists.
    await page.getByLabel('Text', { exact: true }).fill('large');
    await expect.poll(() => testRows.count()).toBe(1);
    expect(await testRows.first().textContent()).toContain('custom');
    await page.getByText('No template matches these filters.').waitFor();
    await page.getByLabel('Text', { exact: true }).fill('');
    await page.getByLabel('Category', { exact: true }).selectOption('custom');
    await expect.poll(() => testRows.count()).toBe(1);
    await page.getByLabel('Category', { exact: true }).selectOption('');
    await expect.poll(() => testRows.count()).toBe(2);

    await page.getByRole('link', { name: 'Large payments' }).click();
    await page.waitForURL(/\/tests\/large-payments\?entity=AP$/);
    await expectHeading(page, 'Large payments');
    expect(await page.getByTestId('active-version').textContent()).toBe('2');
    const editor = page.getByRole('textbox', { name: `SQL of ${CUSTOM_KEY} version 2` });
    await editor.waitFor();
    expect(await editor.textContent()).toContain('amount >= 102.00');
    expect(await editor.getAttribute('contenteditable')).toBe('false');
    // CodeMirror's SQL language marks keywords, so highlighting is on.
    expect(await page.getByTestId('sql-editor').locator('.cm-line span').count()).toBeGreaterThan(
      0,
    );
    expect(await page.getByTestId('key-columns').textContent()).toBe('vendor_id');
    expect(await page.getByTestId('input-field').count()).toBe(2);
    expect(await page.getByTestId('parameter-row').textContent()).toContain('threshold');
    expect(await page.getByTestId('version-row').count()).toBe(2);

    const diff = page.getByTestId('version-diff');
    const removed = diff.locator('[data-kind="removed"]');
    const added = diff.locator('[data-kind="added"]');
    expect(await removed.allTextContents()).toEqual([
      '- SELECT DISTINCT vendor_id, amount',
      '- WHERE amount >= $threshold AND amount >= 101.00',
    ]);
    expect(await added.allTextContents()).toEqual([
      '+ SELECT DISTINCT vendor_id',
      '+ WHERE amount >= $threshold AND amount >= 102.00',
    ]);
    const keyChange = diff.getByTestId('field-change').filter({ hasText: 'Key columns' });
    expect(await keyChange.textContent()).toBe('Key columnsvendor_id, amountvendor_id');
    await checkScreenAtRest(page, 'test-detail');

    // The run form opens with this test and entity filled in.
    await page.getByRole('link', { name: 'Run this test' }).click();
    await expectHeading(page, 'Run a test');
    expect(new URL(page.url()).searchParams.get('test')).toBe(CUSTOM_KEY);
    await page.goBack();
    await expectHeading(page, 'Large payments');

    // The form checks the version against the contracts schema before sending.
    const form = page.getByRole('form', { name: 'Submit a draft for approval' });
    await form.getByLabel('Draft version').fill('zero');
    await form.getByLabel('Justification').fill('Raise the threshold to 103.00.');
    await form.getByRole('button', { name: 'Submit for approval' }).click();
    await form.getByText('Expected a whole version number').waitFor();

    // An active version cannot be submitted, and the server's reason shows.
    await form.getByLabel('Draft version').fill('2');
    await form.getByRole('button', { name: 'Submit for approval' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The draft was not submitted' });
    await alert.waitFor();
    expect(await alert.getAttribute('data-error-code')).toBe('BUSINESS_RULE_VIOLATED');
    await alert.getByTestId('request-id').waitFor();

    await form.getByLabel('Draft version').fill(String(draft.version));
    await form.getByRole('button', { name: 'Submit for approval' }).click();
    const submitted = page.getByRole('status').filter({ hasText: 'Submitted for approval' });
    await submitted.waitFor();
    const link = submitted.getByRole('link');
    const requestId = (await link.textContent()) ?? '';
    const request = await server.services.changeRequests.show(approver, requestId);
    expect(request.kind).toBe('test_version.activate');
    expect(request.status).toBe('pending');
    await checkScreenAtRest(page, 'test-detail-submitted');

    // A library template has its own page without SQL.
    await page.goto(`/tests/${TEST_KEY}`);
    await expectHeading(page, 'Duplicate payments (exact)');
    await page.getByTestId('input-field').first().waitFor();
    await checkScreenAtRest(page, 'test-template');
  });

  it('shows no actions to a read-only user', async () => {
    const rob = await createUserWithRole(server, admin, {
      email: 'rob@example.com',
      displayName: 'Rob Reader',
      role: 'read_only',
      entityCode: 'AP',
    });
    const page = await openPage(browser, server);
    await signInWithTotp(page, rob);
    await page.goto(`/tests/${CUSTOM_KEY}?entity=AP`);
    await expectHeading(page, 'Large payments');
    await page.getByRole('textbox', { name: `SQL of ${CUSTOM_KEY} version 2` }).waitFor();
    expect(await page.getByRole('link', { name: 'Run this test' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Submit for approval' }).count()).toBe(0);
    await checkScreenAtRest(page, 'test-detail-read-only');
  });
});
