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
    // The vendor column has another name here, so a binding must map it.
    await importPayments(
      server,
      seeder,
      'AP',
      duplicatePaymentsCsv(['V4']).replace(/^vendor_id,/, 'Vendor,'),
      'Vendor payments',
    );
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
    // Versions 1 and 2 are superseded and active, and Pia's draft is version 3.
    const versionRows = page.getByTestId('version-row');
    await expect.poll(() => versionRows.count()).toBe(3);
    expect(await versionRows.first().textContent()).toContain('draft');

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
    expect(await page.getByRole('link', { name: 'Edit as new draft' }).count()).toBe(0);
    await checkScreenAtRest(page, 'test-detail-read-only');

    // Neither the library nor the editor's address offers drafting.
    await page.goto('/tests');
    await expectHeading(page, 'Tests');
    await page.getByTestId('test-row').first().waitFor();
    expect(await page.getByRole('link', { name: 'New test' }).count()).toBe(0);
    await page.goto(`/tests/${CUSTOM_KEY}/edit?entity=AP&version=2`);
    await expectHeading(page, `Edit ${CUSTOM_KEY} as a new draft`);
    await page.getByText('You may not draft tests in entity AP.').waitFor();
    expect(await page.getByRole('form', { name: 'Test definition' }).count()).toBe(0);
  });

  it('edits a test as a new draft', async () => {
    const eve = await createUserWithRole(server, admin, {
      email: 'eve@example.com',
      displayName: 'Eve Editor',
      role: 'preparer',
      entityCode: 'AP',
    });
    const page = await openPage(browser, server);
    await signInWithTotp(page, eve);

    // A new test starts from a library template's inputs and parameters.
    await page.goto('/tests');
    await expectHeading(page, 'Tests');
    await page.getByRole('link', { name: 'New test' }).click();
    await expectHeading(page, 'New test');
    await page.getByLabel('Start from').selectOption(TEST_KEY);
    const newForm = page.getByRole('form', { name: 'Test definition' });
    // Choosing a template starts the form again with the template's inputs.
    await expect.poll(() => newForm.getByLabel('Input 1 name').inputValue()).toBe('payments');
    await newForm.getByRole('textbox', { name: 'SQL', exact: true }).waitFor();
    await checkScreenAtRest(page, 'test-new');

    await page.goto(`/tests/${CUSTOM_KEY}?entity=AP`);
    await expectHeading(page, 'Large payments');
    await page.getByRole('link', { name: 'Edit as new draft' }).click();
    await expectHeading(page, `Edit ${CUSTOM_KEY} as a new draft`);
    const form = page.getByRole('form', { name: 'Test definition' });
    const sqlEditor = form.getByRole('textbox', { name: 'SQL', exact: true });
    await sqlEditor.waitFor();
    expect(await sqlEditor.textContent()).toContain('amount >= 102.00');
    expect(await sqlEditor.getAttribute('contenteditable')).toBe('true');
    expect(await form.getByLabel('Key columns').inputValue()).toBe('vendor_id');
    await checkScreenAtRest(page, 'test-editor');

    // zod checks the definition before anything is sent.
    await form.getByLabel('Key columns').fill('');
    await form.getByRole('button', { name: 'Save as new draft' }).click();
    await form.getByText('Needs at least one key column').first().waitFor();
    await form.getByLabel('Key columns').fill('vendor_id');

    // A writing statement passes zod, and the server's reason shows with the request id.
    await sqlEditor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('DELETE FROM payments WHERE amount >= $threshold');
    await form.getByRole('button', { name: 'Save as new draft' }).click();
    const rejected = page.getByRole('alert').filter({ hasText: 'The draft was not saved' });
    await rejected.waitFor();
    expect(await rejected.textContent()).toContain('not accepted');
    await rejected.getByTestId('request-id').waitFor();

    const newSql =
      'SELECT DISTINCT vendor_id FROM payments WHERE amount >= $threshold AND amount >= 104.00 ORDER BY vendor_id';
    await sqlEditor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(newSql);

    // A schedule needs every input bound, and the shared schema reports it next to the bindings.
    await form.getByLabel('Schedule').fill('0 6 * * 1');
    await form.getByRole('button', { name: 'Save as new draft' }).click();
    const bindingsError = form.getByTestId('bindings-error');
    await bindingsError.waitFor();
    expect(await bindingsError.textContent()).toBe(
      'Must bind every input when a schedule is set. Add bindings for payments',
    );

    // Binding the dataset maps the same-name columns, and a required field without one warns.
    const binding = form.getByRole('group', { name: 'Binding of input payments' });
    await binding.getByLabel('Dataset', { exact: true }).selectOption('Vendor payments');
    await binding
      .getByLabel('Version', { exact: true })
      .locator('option', { hasText: 'Latest (1)' })
      .waitFor({ state: 'attached' });
    await expect.poll(() => binding.getByLabel('amount').inputValue()).toBe('amount');
    expect(await binding.getByLabel('vendor_id').inputValue()).toBe('');
    await binding
      .getByText(/Warning for vendor_id: Required field vendor_id has no column/)
      .waitFor();
    await binding.getByLabel('Version', { exact: true }).selectOption('1');
    await binding.getByLabel('vendor_id').selectOption('Vendor');
    expect(await binding.getByText(/^Warning for/).count()).toBe(0);

    // While the schedule is set, the binding cannot be removed.
    const removeBinding = binding.getByRole('button', { name: 'Remove binding of payments' });
    expect(await removeBinding.isDisabled()).toBe(true);
    await binding.getByText('A schedule is set, and scheduled runs read every input').waitFor();
    await checkScreenAtRest(page, 'test-editor-bindings');
    await form.getByLabel('Schedule').fill('');
    await removeBinding.click();
    expect(await binding.getByLabel('Dataset', { exact: true }).inputValue()).toBe('');
    expect(await binding.getByLabel('vendor_id').count()).toBe(0);

    await binding.getByLabel('Dataset', { exact: true }).selectOption('Vendor payments');
    await expect.poll(() => binding.getByLabel('amount').inputValue()).toBe('amount');
    await binding.getByLabel('Version', { exact: true }).selectOption('1');
    await binding.getByLabel('vendor_id').selectOption('Vendor');
    await form.getByRole('button', { name: 'Save as new draft' }).click();

    // The page of the new draft shows it in the version list and diffs it against the active version.
    await page.waitForURL(/\/tests\/large-payments\?entity=AP&version=\d+$/);
    const draftVersion = Number(new URL(page.url()).searchParams.get('version'));
    const stored = await server.services.testDefinitions.export(
      await actorOf(server, eve.email),
      'AP',
      CUSTOM_KEY,
      draftVersion,
    );
    expect(stored.sql).toBe(newSql);
    expect(stored.state).toBe('draft');
    expect(stored.bindings).toEqual({
      payments: {
        dataset: 'Vendor payments',
        version: 1,
        fields: { vendor_id: 'Vendor', amount: 'amount' },
      },
    });
    expect(stored.schedule).toBeUndefined();
    expect(await page.getByTestId('dataset-binding').textContent()).toBe(
      'payments → Vendor payments version 1, vendor_id ← Vendor, amount ← amount',
    );
    await page.getByRole('heading', { name: `Version ${draftVersion}` }).waitFor();
    const shownRow = page.getByTestId('version-row').filter({ hasText: `${draftVersion} (shown)` });
    expect(await shownRow.textContent()).toContain('draft');
    expect(await shownRow.textContent()).toContain(eve.email);

    const diff = page.getByTestId('version-diff');
    expect(await diff.getByLabel('From', { exact: true }).inputValue()).toBe('2');
    expect(await diff.getByLabel('To', { exact: true }).inputValue()).toBe(String(draftVersion));
    await diff.getByTestId('sql-diff').waitFor();
    expect(await diff.locator('[data-kind="added"]').allTextContents()).toEqual([`+ ${newSql}`]);
    expect(await diff.locator('[data-kind="removed"]').allTextContents()).toEqual([
      '- SELECT DISTINCT vendor_id',
      '- FROM payments',
      '- WHERE amount >= $threshold AND amount >= 102.00',
      '- ORDER BY vendor_id',
    ]);

    // The request for approval starts with the shown draft filled in.
    const submitForm = page.getByRole('form', { name: 'Submit a draft for approval' });
    expect(await submitForm.getByLabel('Draft version').inputValue()).toBe(String(draftVersion));
    await submitForm.getByLabel('Justification').fill('Raise the threshold to 104.00.');
    await submitForm.getByRole('button', { name: 'Submit for approval' }).click();
    const submitted = page.getByRole('status').filter({ hasText: 'Submitted for approval' });
    await submitted.waitFor();
    const requestId = (await submitted.getByRole('link').textContent()) ?? '';
    const request = await server.services.changeRequests.show(approver, requestId);
    expect(request.kind).toBe('test_version.activate');
    expect(request.status).toBe('pending');
  });
});
