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
  createEngagement,
  createPreparerActor,
  createUserWithRole,
  duplicatePaymentsCsv,
  executeRun,
  importPayments,
  runDuplicatePayments,
  sha256Hex,
  TEST_KEY,
} from '../support/run-fixtures.ts';
import { expectHeading } from '../support/sign-in-page.ts';

const RUN_PATH = /\/runs\/([0-9a-f-]{36})$/;

/** Wait until the run page shows `status` in its status badge. */
async function expectRunStatus(page: Page, status: string) {
  await page.getByTestId('run-status').filter({ hasText: status }).waitFor();
}

describeInBrowser('datasets and runs', () => {
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
    seeder = await createPreparerActor(server, admin, 'sam@example.com', 'AP');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('imports a file, runs a test and re-performs it', async () => {
    await createEngagement(server, 'AP-RUN', 'AP');
    const pia = await createUserWithRole(server, admin, {
      email: 'pia@example.com',
      displayName: 'Pia Preparer',
      role: 'preparer',
      entityCode: 'AP-RUN',
    });
    const piaActor = await actorOf(server, pia.email);
    const csv = duplicatePaymentsCsv(['V1', 'V2', 'V3']);

    const page = await openPage(browser, server);
    await signInWithTotp(page, pia);
    await page.getByRole('link', { name: 'Datasets', exact: true }).click();
    await expectHeading(page, 'Datasets');
    await page.getByText('No dataset has been imported in your entities yet.').waitFor();
    await page.getByRole('link', { name: 'Import a file' }).click();
    await expectHeading(page, 'Import a dataset file');
    const uploadForm = page.getByRole('form', { name: 'Upload a file' });
    await uploadForm.getByLabel(/^Dataset/).fill('Payments');
    await uploadForm.locator('input[type="file"]').setInputFiles({
      name: 'payments.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await checkScreen(page, 'dataset-import');

    // Hold the PUT to storage, so the page shows the upload's progress before the check runs.
    let releaseUpload: () => void = () => {};
    const uploadHeld = new Promise<void>((resolve) => {
      releaseUpload = resolve;
    });
    const putUrls: string[] = [];
    await page.route('**/api/v1/storage/objects/**', async (route) => {
      if (route.request().method() === 'PUT') {
        putUrls.push(route.request().url());
        await uploadHeld;
      }
      await route.continue();
    });
    await uploadForm.getByRole('button', { name: 'Upload and preview' }).click();
    // How much the browser reports as sent while the request is held depends on Chromium.
    await uploadForm
      .getByText(new RegExp(`^Uploading: .+ of ${Buffer.byteLength(csv)} bytes \\(\\d+%\\)$`))
      .waitFor();
    expect(await uploadForm.getByRole('progressbar', { name: 'Upload progress' }).count()).toBe(1);
    releaseUpload();

    const preview = page.getByTestId('dataset-preview');
    await preview.waitFor();
    expect(putUrls).toHaveLength(1);
    const previewTypes = () => preview.getByTestId('preview-column-type').allTextContents();
    expect(await previewTypes()).toEqual(['VARCHAR', 'VARCHAR', 'DECIMAL(18,2)', 'DATE']);
    expect(await preview.getByTestId('preview-row').count()).toBe(6);
    expect(await preview.getByTestId('preview-row').first().textContent()).toBe(
      'V1INV-1100.002024-01-01',
    );
    await checkScreen(page, 'dataset-import-preview');

    // Read the header as data: every column then contains text, and the header is the first row.
    await page.getByLabel('Header', { exact: true }).selectOption('no');
    await page.getByRole('button', { name: 'Update preview' }).click();
    await expect.poll(previewTypes).toEqual(['VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR']);
    expect(await preview.getByTestId('preview-row').first().textContent()).toBe(
      'vendor_idinvoice_numberamountpayment_date',
    );
    await page.getByLabel('Header', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Update preview' }).click();
    await expect.poll(previewTypes).toEqual(['VARCHAR', 'VARCHAR', 'DECIMAL(18,2)', 'DATE']);
    await page.getByRole('button', { name: 'Import', exact: true }).click();

    await page.waitForURL(/\/datasets\/show\?entity=AP-RUN&name=Payments&version=1$/);
    await expectHeading(page, 'Payments');
    const dataset = await server.services.datasets.show(piaActor, 'AP-RUN', 'Payments');
    const imported = dataset.versions[0];
    expect(imported?.version).toBe(1);
    const version = page.locator('[data-testid="dataset-version"][data-version="1"]');
    await version.waitFor();
    expect(await version.getByTestId('raw-sha256').locator('code').textContent()).toBe(
      sha256Hex(csv),
    );
    expect(await version.getByTestId('parquet-sha256').locator('code').textContent()).toBe(
      imported?.parquetSha256,
    );
    expect(await version.getByTestId('row-count').textContent()).toBe('6');
    const columns = await version.getByTestId('dataset-column').allTextContents();
    expect(columns).toEqual([
      'vendor_idVARCHARnonevendor_id',
      'invoice_numberVARCHARnoneinvoice_number',
      'amountDECIMAL(18,2)noneamount',
      'payment_dateDATEnonepayment_date',
    ]);
    await checkScreen(page, 'dataset');

    await page.goto('/datasets');
    await expectHeading(page, 'Datasets');
    await page.getByRole('link', { name: 'Payments' }).waitFor();
    expect(await page.getByTestId('dataset-row').count()).toBe(1);
    await checkScreen(page, 'datasets');

    await page.getByRole('link', { name: 'Payments' }).click();
    await expectHeading(page, 'Payments');
    await page.getByRole('link', { name: 'Run a test on this dataset' }).click();
    await expectHeading(page, 'Run a test');
    await page.getByRole('combobox', { name: 'Test', exact: true }).selectOption(TEST_KEY);
    // The form lists the template's inputs, and the dataset's columns fill in its fields.
    const paymentsInput = page.getByRole('group', { name: 'Input payments' });
    await paymentsInput.waitFor();
    expect(
      await paymentsInput.getByRole('combobox', { name: 'Dataset', exact: true }).inputValue(),
    ).toBe('Payments');
    await paymentsInput
      .getByLabel('Version', { exact: true })
      .locator('option', { hasText: 'Latest (1)' })
      .waitFor({ state: 'attached' });
    for (const field of ['vendor_id', 'invoice_number', 'amount', 'payment_date']) {
      await expect.poll(() => paymentsInput.getByLabel(field).inputValue()).toBe(field);
    }
    await checkScreen(page, 'run-request');
    await page.getByRole('button', { name: 'Request run' }).click();

    await page.waitForURL(RUN_PATH);
    const runId = RUN_PATH.exec(page.url())?.[1] ?? '';
    await expectHeading(page, `${TEST_KEY} run 1`);
    await expectRunStatus(page, 'Queued');
    await page.getByText(/waiting for a worker to take it/).waitFor();
    await page.getByRole('button', { name: 'Cancel run' }).waitFor();

    await executeRun(server, runId, piaActor);
    await expectRunStatus(page, 'Succeeded');
    const run = await server.services.runs.show(piaActor, runId);
    expect(run.resultHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await page.getByTestId('exception-count').textContent()).toBe('3');
    expect(await page.getByTestId('result-hash').textContent()).toBe(run.resultHash);
    expect(await page.getByTestId('run-duration').textContent()).toMatch(/\d/);
    expect(await page.getByTestId('executed-sql').textContent()).toContain('FROM payments');
    const input = page.getByTestId('run-input');
    expect(await input.textContent()).toContain(sha256Hex(csv));
    expect(await input.textContent()).toContain('vendor_id ← vendor_id');
    await expect.poll(() => page.getByTestId('run-row').count()).toBe(3);
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Re-perform this run' }).waitFor();
    await checkScreen(page, 'run');

    // The history lists the run under Succeeded and not under Failed.
    await page.getByRole('link', { name: 'All runs' }).click();
    await expectHeading(page, 'Runs');
    const filters = page.getByRole('form', { name: 'Run filters' });
    await filters.getByRole('checkbox', { name: 'Failed' }).check();
    await filters.getByRole('button', { name: 'Show runs' }).click();
    await page.waitForURL(/\/runs\?status=failed$/);
    await page.getByText('No run matches these filters.').waitFor();
    await filters.getByRole('checkbox', { name: 'Failed' }).uncheck();
    await filters.getByRole('checkbox', { name: 'Succeeded' }).check();
    await filters.getByRole('button', { name: 'Show runs' }).click();
    await page.waitForURL(/\/runs\?status=succeeded$/);
    const historyRow = page.locator(`[data-testid="history-row"][data-run-id="${runId}"]`);
    await historyRow.waitFor();
    expect(await page.getByTestId('history-row').count()).toBe(1);
    expect(await historyRow.getByTestId('history-status').textContent()).toBe('Succeeded');
    await checkScreen(page, 'run-history');

    await historyRow.getByRole('link', { name: `${TEST_KEY} run 1` }).click();
    await expectHeading(page, `${TEST_KEY} run 1`);
    await page.getByRole('button', { name: 'Re-perform this run' }).click();
    await page.waitForURL((url) => RUN_PATH.test(url.pathname) && !url.pathname.endsWith(runId));
    const repeatId = RUN_PATH.exec(page.url())?.[1] ?? '';
    await expectHeading(page, `${TEST_KEY} re-performance`);
    await expectRunStatus(page, 'Queued');
    expect((await server.services.runs.show(piaActor, repeatId)).reperformsRunId).toBe(runId);

    await executeRun(server, repeatId, piaActor);
    await expectRunStatus(page, 'Succeeded');
    await page.getByTestId('hash-comparison').filter({ hasText: 'The hashes match' }).waitFor();
    expect(await page.getByTestId('original-result-hash').textContent()).toBe(run.resultHash);
    expect(await page.getByTestId('reperformed-result-hash').textContent()).toBe(run.resultHash);
    await page.getByRole('heading', { name: 'Result rows' }).waitFor();
    await checkScreen(page, 'run-reperformance');
  });

  it('rejects an empty file before the upload', async () => {
    const eve = await createUserWithRole(server, admin, {
      email: 'eve@example.com',
      displayName: 'Eve Preparer',
      role: 'preparer',
      entityCode: 'AP',
    });
    const page = await openPage(browser, server);
    const declarations: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/datasets/uploads')) declarations.push(request.url());
    });
    await signInWithTotp(page, eve);
    await page.goto('/datasets/import');
    await expectHeading(page, 'Import a dataset file');
    const uploadForm = page.getByRole('form', { name: 'Upload a file' });
    await uploadForm.getByLabel(/^Dataset/).fill('Empty');

    await uploadForm.locator('input[type="file"]').setInputFiles({
      name: 'empty.csv',
      mimeType: 'text/csv',
      buffer: Buffer.alloc(0),
    });
    await uploadForm.getByRole('button', { name: 'Upload and preview' }).click();

    await uploadForm
      .getByText('The file is empty. Choose a file with a header row and data.')
      .waitFor();
    expect(declarations).toEqual([]);
    await page.close();
  });

  it('cancels a queued run', async () => {
    await createEngagement(server, 'AP-CANCEL', 'AP');
    const carl = await createUserWithRole(server, admin, {
      email: 'carl@example.com',
      displayName: 'Carl Preparer',
      role: 'preparer',
      entityCode: 'AP-CANCEL',
    });
    await importPayments(server, seeder, 'AP-CANCEL', duplicatePaymentsCsv(['V1']));
    const { runId } = await server.services.runs.request(seeder, {
      entityCode: 'AP-CANCEL',
      test: TEST_KEY,
      inputs: { payments: { dataset: 'Payments' } },
      fieldMap: {},
      parameters: {},
      preview: false,
      via: 'api',
    });

    const page = await openPage(browser, server);
    await signInWithTotp(page, carl);
    await page.goto(`/runs/${runId}`);
    await expectHeading(page, `${TEST_KEY} run 1`);
    await expectRunStatus(page, 'Queued');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this run?' });
    await dialog.waitFor();
    await checkScreen(page, 'run-cancel');
    await dialog.getByRole('button', { name: 'Cancel run' }).click();

    await expectRunStatus(page, 'Cancelled');
    await page.getByText('Cancelled by carl@example.com').waitFor();
    expect((await server.services.runs.show(seeder, runId)).status).toBe('cancelled');
  });

  it('maps a renamed column before a run', async () => {
    await createEngagement(server, 'AP-MAP', 'AP');
    const bea = await createUserWithRole(server, admin, {
      email: 'bea@example.com',
      displayName: 'Bea Preparer',
      role: 'preparer',
      entityCode: 'AP-MAP',
    });
    const csv = duplicatePaymentsCsv(['V1', 'V2']).replace(/^vendor_id,/, 'Vendor,');
    await importPayments(server, seeder, 'AP-MAP', csv, 'Vendor payments');

    const page = await openPage(browser, server);
    await signInWithTotp(page, bea);
    await page.goto('/runs/new');
    await expectHeading(page, 'Run a test');
    await page.getByRole('combobox', { name: 'Test', exact: true }).selectOption(TEST_KEY);
    const paymentsInput = page.getByRole('group', { name: 'Input payments' });
    await paymentsInput
      .getByRole('combobox', { name: 'Dataset', exact: true })
      .selectOption('Vendor payments');
    await expect.poll(() => paymentsInput.getByLabel('amount').inputValue()).toBe('amount');

    // The dataset has no vendor_id column, and the required field shows that error before anything is sent.
    const vendorField = paymentsInput.getByLabel('vendor_id');
    expect(await vendorField.inputValue()).toBe('');
    const missing =
      'Required field vendor_id has no column: Version 1 of Vendor payments has no column of that name. Choose the column it reads.';
    await paymentsInput.getByText(missing).waitFor();
    expect(await vendorField.getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('button', { name: 'Request run' }).click();
    await paymentsInput.getByText(missing).waitFor();
    expect(page.url()).toMatch(/\/runs\/new$/);
    await checkScreen(page, 'run-request-mapping');

    // With the column mapped, the server's reason for another problem shows with the request id.
    await vendorField.selectOption('Vendor');
    expect(await paymentsInput.getByText(missing).count()).toBe(0);
    await page.getByRole('button', { name: 'Add parameter' }).click();
    await page.getByLabel('Parameter', { exact: true }).fill('ghost');
    await page.getByLabel('Value', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Request run' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The run was not requested' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('The test has no parameter "ghost".');
    await alert.getByTestId('request-id').waitFor();
    expect(page.url()).toMatch(/\/runs\/new$/);
    await checkScreen(page, 'run-request-rejected');

    await page.getByRole('button', { name: 'Remove parameter 1' }).click();
    await page.getByRole('button', { name: 'Request run' }).click();
    await page.waitForURL(RUN_PATH);
    const runId = RUN_PATH.exec(page.url())?.[1] ?? '';
    await expectHeading(page, `${TEST_KEY} run 1`);
    const run = await server.services.runs.show(await actorOf(server, bea.email), runId);
    expect(run.inputs[0]?.datasetName).toBe('Vendor payments');
    expect(run.inputs[0]?.fields).toEqual({
      vendor_id: 'Vendor',
      invoice_number: 'invoice_number',
      amount: 'amount',
      payment_date: 'payment_date',
    });
    expect(await page.getByTestId('run-input').textContent()).toContain('vendor_id ← Vendor');
  });

  it('shows runs without run or import buttons to a read-only user', async () => {
    await createEngagement(server, 'AP-READ', 'AP');
    const runId = await runDuplicatePayments(server, seeder, 'AP-READ', ['V1', 'V2']);
    const rita = await createUserWithRole(server, admin, {
      email: 'rita@example.com',
      displayName: 'Rita Reader',
      role: 'read_only',
      entityCode: 'AP-READ',
    });

    const page = await openPage(browser, server);
    await signInWithTotp(page, rita);
    await page.goto('/dashboard');
    await page.getByText(/It needs the reviewer, management or administrator role/).waitFor();
    await checkScreen(page, 'dashboard-without-permission');

    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await expectHeading(page, 'Runs');
    const historyRow = page.locator(`[data-testid="history-row"][data-run-id="${runId}"]`);
    await historyRow.waitFor();
    expect(await historyRow.textContent()).toContain('AP-READ');
    // The history shows only runs in the user's scope.
    expect(await page.getByTestId('history-row').count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Run a test', exact: true }).count()).toBe(0);
    await checkScreen(page, 'runs');

    await page.getByLabel('Run id').fill(runId);
    await page.getByRole('button', { name: 'Open run' }).click();
    await expectHeading(page, `${TEST_KEY} run 1`);
    await expectRunStatus(page, 'Succeeded');
    expect(await page.getByTestId('exception-count').textContent()).toBe('2');
    await expect.poll(() => page.getByTestId('run-row').count()).toBe(2);
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Re-perform' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Re-perform this run' }).count()).toBe(0);

    await page.goto('/datasets');
    await expectHeading(page, 'Datasets');
    await page.getByRole('link', { name: 'Payments' }).waitFor();
    expect(await page.getByRole('link', { name: 'Import a file' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Payments' }).click();
    await expectHeading(page, 'Payments');
    await page.getByTestId('dataset-version').waitFor();
    expect(await page.getByRole('link', { name: 'Run a test on this dataset' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Import a new version' }).count()).toBe(0);

    await page.goto('/datasets/import');
    await expectHeading(page, 'Import a dataset file');
    await page.getByText('Importing datasets needs the preparer role on an entity.').waitFor();
    expect(await page.getByRole('button', { name: 'Upload and preview' }).count()).toBe(0);

    await page.goto('/runs/new');
    await expectHeading(page, 'Run a test');
    await page.getByText('Running tests needs the preparer role on an entity.').waitFor();
    expect(await page.getByRole('button', { name: 'Request run' }).count()).toBe(0);
  });
});
