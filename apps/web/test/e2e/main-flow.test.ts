import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import {
  clamdInstalled,
  startTestClamd,
  type TestClamd,
} from '../../../server/test/support/clamd.ts';
import { grantRoleDirectly } from '../../../server/test/support/entity-fixtures.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import {
  actorOf,
  createEngagement,
  createUserWithRole,
  duplicatePaymentsCsv,
  executeRun,
  TEST_KEY,
} from '../support/run-fixtures.ts';
import { expectHeading } from '../support/sign-in-page.ts';
import { chooseOption, requestFromPage } from '../support/workflow-fixtures.ts';

const ENGAGEMENT = 'AP-2024';
const RUN_PATH = /\/runs\/([0-9a-f-]{36})$/;
const EXCEPTION_PATH = /\/exceptions\/([0-9a-f-]{36})$/;

/** Build a file that starts like a PDF, enough for the server's magic-byte check. */
function pdfBytes(text: string): Buffer {
  return Buffer.from(`%PDF-1.7\n% ${text}\n${' '.repeat(2048)}\n%%EOF`, 'latin1');
}

/** Move the mouse off the page, so axe-core measures links at rest instead of hovered. */
async function checkScreenAtRest(page: Page, name: string) {
  await page.mouse.move(0, 0);
  await checkScreen(page, name);
}

const exceptionRows = (page: Page) => page.getByTestId('exception-row');
const statuses = (page: Page) => page.getByTestId('exception-status').allTextContents();

describeInBrowser('main flow', () => {
  let clamd: TestClamd;
  let server: E2eServer;
  let browser: Browser;
  let admin: UserActor;

  beforeAll(async () => {
    if (!clamdInstalled) {
      throw new Error('clamd is not installed at /usr/sbin/clamd; .ci/run installs clamav-daemon');
    }
    clamd = await startTestClamd();
    server = await startE2eServer({
      env: { PEYTONIX_CLAMD_ADDRESS: `${clamd.address.host}:${clamd.address.port}` },
    });
    browser = await launchBrowser();
    admin = (await createFirstAdministrator(server)).actor;
    await createEngagement(server, ENGAGEMENT, 'ORG');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await clamd?.close();
  });

  it('imports, runs, proposes, reviews and reads', async () => {
    // Pia also has the reviewer role, so only separation of duties stops her approving her own work.
    const pia = await createUserWithRole(server, admin, {
      email: 'pia@example.com',
      displayName: 'Pia Preparer',
      role: 'preparer',
      entityCode: ENGAGEMENT,
    });
    await grantRoleDirectly(server.ownerUrl, {
      email: pia.email,
      role: 'reviewer',
      entityCode: ENGAGEMENT,
    });
    const piaActor = await actorOf(server, pia.email);
    const csv = duplicatePaymentsCsv(['V1', 'V2', 'V3']);

    // The preparer signs in with a password and a TOTP code, and imports the payments.
    const page = await openPage(browser, server);
    await signInWithTotp(page, pia);
    await page.getByRole('link', { name: 'Datasets', exact: true }).click();
    await expectHeading(page, 'Datasets');
    await page.getByRole('link', { name: 'Import a file' }).click();
    await expectHeading(page, 'Import a dataset file');
    const uploadForm = page.getByRole('form', { name: 'Upload a file' });
    await uploadForm.getByLabel(/^Dataset/).fill('Payments');
    await uploadForm.locator('input[type="file"]').setInputFiles({
      name: 'payments.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await checkScreenAtRest(page, 'main-flow-dataset-import');
    await uploadForm.getByRole('button', { name: 'Upload and preview' }).click();
    await page.getByTestId('dataset-preview').waitFor();
    expect(await page.getByTestId('preview-row').count()).toBe(6);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.waitForURL(/\/datasets\/show\?entity=AP-2024&name=Payments&version=1$/);
    await expectHeading(page, 'Payments');
    await page.getByTestId('dataset-version').waitFor();
    await checkScreenAtRest(page, 'main-flow-dataset');

    // The library template's page links to the run form with the test filled in.
    await page.getByRole('link', { name: 'Tests', exact: true }).click();
    await expectHeading(page, 'Tests');
    await page
      .getByText('No test has been created in your entities yet.', { exact: false })
      .waitFor();
    await checkScreenAtRest(page, 'main-flow-tests');
    await page.getByRole('link', { name: 'Duplicate payments (exact)' }).click();
    await expectHeading(page, 'Duplicate payments (exact)');
    await page.getByRole('link', { name: 'Run this test' }).click();
    await expectHeading(page, 'Run a test');
    expect(await page.getByRole('combobox', { name: 'Test', exact: true }).inputValue()).toBe(
      TEST_KEY,
    );
    const paymentsInput = page.getByRole('group', { name: 'Input payments' });
    await paymentsInput
      .getByRole('combobox', { name: 'Dataset', exact: true })
      .selectOption('Payments');
    await expect.poll(() => paymentsInput.getByLabel('vendor_id').inputValue()).toBe('vendor_id');
    await checkScreenAtRest(page, 'main-flow-run-request');
    await page.getByRole('button', { name: 'Request run' }).click();

    // The e2e server runs no workers, so the test executes the queued run as a worker would.
    await page.waitForURL(RUN_PATH);
    const runId = RUN_PATH.exec(page.url())?.[1] ?? '';
    await expectHeading(page, `${TEST_KEY} run 1`);
    await executeRun(server, runId, piaActor);
    await page.getByTestId('run-status').filter({ hasText: 'Succeeded' }).waitFor();
    expect(await page.getByTestId('exception-count').textContent()).toBe('3');
    await expect.poll(() => page.getByTestId('run-row').count()).toBe(3);
    await checkScreenAtRest(page, 'main-flow-run');

    // The preparer takes the exceptions and proposes one disposition for all three.
    await page.getByRole('link', { name: 'Exceptions', exact: true }).click();
    await expectHeading(page, 'Exceptions');
    await expect.poll(() => exceptionRows(page).count()).toBe(3);
    await checkScreenAtRest(page, 'main-flow-exceptions');
    await page.getByRole('checkbox', { name: 'Select every exception on this page' }).check();
    await page.getByRole('button', { name: 'Assign selected' }).click();
    const assign = page.getByRole('dialog', { name: 'Assign 3 exceptions' });
    await assign.getByRole('radio', { name: 'Me' }).check();
    await assign.getByRole('button', { name: 'Assign 3 exceptions' }).click();
    await page.getByText('Assigned 3 exceptions.').waitFor();
    await expect.poll(() => statuses(page)).toEqual(['In progress', 'In progress', 'In progress']);

    // Evidence goes on the first exception and passes the malware scan.
    await exceptionRows(page).first().getByRole('link').click();
    await page.waitForURL(EXCEPTION_PATH);
    const evidencedId = EXCEPTION_PATH.exec(page.url())?.[1] ?? '';
    await page.getByRole('button', { name: 'Upload evidence' }).click();
    const evidenceForm = page.locator('#evidence-upload');
    await evidenceForm.locator('input[type="file"]').setInputFiles({
      name: 'refund-confirmation.pdf',
      mimeType: 'application/pdf',
      buffer: pdfBytes('refund confirmation from the vendors'),
    });
    await evidenceForm.getByRole('button', { name: 'Upload', exact: true }).click();
    await page
      .getByTestId('upload-outcome')
      .getByText('passed verification and the malware scan')
      .waitFor();
    expect(await page.getByTestId('evidence-version').first().getAttribute('data-state')).toBe(
      'available',
    );
    await checkScreenAtRest(page, 'main-flow-evidence');

    await page.goBack();
    await expectHeading(page, 'Exceptions');
    await expect.poll(() => exceptionRows(page).count()).toBe(3);
    await page.getByRole('checkbox', { name: 'Select every exception on this page' }).check();
    await page.getByRole('button', { name: 'Propose for selected' }).click();
    const propose = page.getByRole('dialog', { name: 'Propose a disposition for 3 exceptions' });
    await chooseOption(page, 'Disposition', 'False positive');
    await propose.getByLabel('Rationale').fill('The vendors refunded each second payment.');
    await propose.getByRole('button', { name: 'Propose for 3 exceptions' }).click();
    await page.getByText('Proposed a disposition for 3 exceptions.').waitFor();
    await expect.poll(() => statuses(page)).toEqual(['Proposed', 'Proposed', 'Proposed']);

    // Her reviewer role does not let her approve her own proposal, on the page or through the API.
    await page.goto(`/exceptions/${evidencedId}`);
    await page.getByText('You proposed this disposition').waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    const ownApproval = await requestFromPage(
      page,
      'POST',
      `/api/v1/exceptions/${evidencedId}/approve`,
      {},
    );
    expect(ownApproval.status).toBe(403);
    expect(ownApproval.body?.code).toBe('SOD_PROPOSER_CANNOT_APPROVE');

    // A reviewer finds the same three proposals and approves each.
    const rita = await createUserWithRole(server, admin, {
      email: 'rita@example.com',
      displayName: 'Rita Reviewer',
      role: 'reviewer',
      entityCode: ENGAGEMENT,
    });
    const reviewer = await openPage(browser, server);
    await signInWithTotp(reviewer, rita);
    await reviewer.goto(`/exceptions?entity=${ENGAGEMENT}&status=proposed`);
    await expectHeading(reviewer, 'Exceptions');
    await expect.poll(() => exceptionRows(reviewer).count()).toBe(3);
    await checkScreenAtRest(reviewer, 'main-flow-review-queue');
    for (let remaining = 3; remaining > 0; remaining--) {
      await exceptionRows(reviewer).first().getByRole('link').click();
      await reviewer.waitForURL(EXCEPTION_PATH);
      await reviewer.getByRole('button', { name: 'Approve' }).waitFor();
      if (remaining === 3) await checkScreenAtRest(reviewer, 'main-flow-review');
      await reviewer.getByRole('button', { name: 'Approve' }).click();
      await expect
        .poll(() => reviewer.getByTestId('exception-status').first().textContent())
        .toBe('Closed');
      await reviewer.goto(`/exceptions?entity=${ENGAGEMENT}&status=proposed`);
      await expectHeading(reviewer, 'Exceptions');
      if (remaining > 1)
        await expect.poll(() => exceptionRows(reviewer).count()).toBe(remaining - 1);
    }
    await reviewer.getByText(/No exception matches/).waitFor();
    const closed = await server.services.exceptions.show(
      await actorOf(server, rita.email),
      evidencedId,
    );
    expect(closed.status).toBe('closed');
    expect(closed.reviewedBy).toBe(rita.email);

    // A read-only user sees the results, with no action offered and none allowed.
    const rob = await createUserWithRole(server, admin, {
      email: 'rob@example.com',
      displayName: 'Rob Reader',
      role: 'read_only',
      entityCode: ENGAGEMENT,
    });
    const reader = await openPage(browser, server);
    await signInWithTotp(reader, rob);
    await reader.goto(`/exceptions?entity=${ENGAGEMENT}&status=closed`);
    await expectHeading(reader, 'Exceptions');
    await expect.poll(() => exceptionRows(reader).count()).toBe(3);
    expect(await statuses(reader)).toEqual(['Closed', 'Closed', 'Closed']);
    expect(await reader.getByRole('checkbox').count()).toBe(0);
    await checkScreenAtRest(reader, 'main-flow-read-only-exceptions');

    await reader.goto(`/exceptions/${evidencedId}`);
    await reader.getByTestId('evidence-version').first().waitFor();
    expect(await reader.getByRole('region', { name: 'Actions' }).getByRole('button').count()).toBe(
      0,
    );
    expect(await reader.getByRole('button', { name: 'Upload evidence' }).count()).toBe(0);
    expect(await reader.getByLabel('Add a comment').count()).toBe(0);
    await checkScreenAtRest(reader, 'main-flow-read-only-exception');

    await reader.goto(`/runs/${runId}`);
    await expectHeading(reader, `${TEST_KEY} run 1`);
    await reader.getByTestId('run-status').filter({ hasText: 'Succeeded' }).waitFor();
    expect(await reader.getByRole('button', { name: 'Re-perform this run' }).count()).toBe(0);
    expect(await reader.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    await checkScreenAtRest(reader, 'main-flow-read-only-run');

    const reopen = await requestFromPage(
      reader,
      'POST',
      `/api/v1/exceptions/${evidencedId}/assign`,
      {
        assignee: rob.email,
      },
    );
    expect([403, 404]).toContain(reopen.status);
    const rerun = await requestFromPage(reader, 'POST', `/api/v1/runs/${runId}/reperform`, {});
    expect([403, 404]).toContain(rerun.status);
  });
});
