import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import {
  clamdInstalled,
  EICAR,
  startTestClamd,
  type TestClamd,
} from '../../../server/test/support/clamd.ts';
import { freshExceptions } from '../../../server/test/support/exception-fixtures.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import { expectHeading } from '../support/sign-in-page.ts';
import { createMember, type Member, requestFromPage } from '../support/workflow-fixtures.ts';

const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Build a file of `size` bytes that starts like a PDF, enough for the server's magic-byte check. */
function pdfBytes(text: string, size: number): Buffer {
  const head = Buffer.from(`%PDF-1.7\n% ${text}\n`, 'latin1');
  const tail = Buffer.from('\n%%EOF', 'latin1');
  return Buffer.concat([head, Buffer.alloc(size - head.length - tail.length, 0x20), tail]);
}

describeInBrowser('evidence', () => {
  let clamd: TestClamd;
  let server: E2eServer;
  let browser: Browser;
  let admin: UserActor;
  let runner: Member;
  let files: string;

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
    runner = await createMember(server, admin, 'Runner', ['preparer']);
    files = mkdtempSync(path.join(tmpdir(), 'peytonix-e2e-evidence-'));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await clamd?.close();
    if (files !== undefined) rmSync(files, { recursive: true, force: true });
  });

  /** Write `content` to a file named `name` for the browser to pick, and return its path. */
  function fileOf(name: string, content: Buffer): string {
    const file = path.join(files, name);
    writeFileSync(file, content);
    return file;
  }

  /** Sign `member` in and open the detail page of a new exception, which the runner flagged. */
  async function openException(
    member: Member,
    vendor: string,
  ): Promise<{ page: Page; id: string }> {
    const { ids } = await freshExceptions(server, runner.actor, 'ORG', [vendor]);
    const id = ids[0] ?? '';
    const page = await openPage(browser, server);
    await signInWithTotp(page, member);
    await page.goto(`/exceptions/${id}`);
    await expectHeading(page, `Exception ${vendor} · INV-1 · 100.00`);
    return { page, id };
  }

  /** Open the upload form, pick `file`, and submit it. */
  async function uploadEvidence(page: Page, file: string, title?: string): Promise<Locator> {
    await page.getByRole('button', { name: 'Upload evidence' }).click();
    const form = page.locator('#evidence-upload');
    await form.locator('input[type="file"]').setInputFiles(file);
    if (title !== undefined) await form.getByLabel('Title (optional)').fill(title);
    return form;
  }

  const versionRows = (page: Page) => page.getByTestId('evidence-version');

  it('uploads, verifies and downloads', async () => {
    const pia = await createMember(server, admin, 'Pia', ['preparer']);
    const { page, id } = await openException(pia, 'V100');
    const statement = pdfBytes('bank statement for March', 64 * 1024);
    const form = await uploadEvidence(
      page,
      fileOf('statement-march.pdf', statement),
      'Bank statement',
    );
    await form.getByLabel('Evidence date').fill('2024-03-31');
    await checkScreen(page, 'evidence-upload-form');

    // Hold the PUT to storage, so the page shows the upload's progress before the check runs.
    let releaseUpload: () => void = () => {};
    const uploadHeld = new Promise<void>((resolve) => {
      releaseUpload = resolve;
    });
    const putContentTypes: string[] = [];
    await page.route('**/api/v1/storage/objects/**', async (route) => {
      if (route.request().method() === 'PUT') {
        putContentTypes.push(route.request().headers()['content-type'] ?? '');
        await uploadHeld;
      }
      await route.continue();
    });
    await form.getByRole('button', { name: 'Upload', exact: true }).click();
    // How much the browser reports as sent while the request is held depends on Chromium.
    await form.getByText(/^Uploading: .+ of 64\.0 KiB \(\d+%\)$/).waitFor();
    expect(await form.getByRole('progressbar', { name: 'Upload progress' }).count()).toBe(1);
    releaseUpload();

    const outcome = page.getByTestId('upload-outcome');
    await outcome.getByText('passed verification and the malware scan').waitFor();
    // The browser sent the content type that the upload request lists.
    expect(putContentTypes).toEqual(['application/pdf']);
    const row = versionRows(page).first();
    expect(await row.getAttribute('data-state')).toBe('available');
    await row.getByText('2024-03-31').waitFor();
    await row.getByText(`SHA-256 ${sha256Of(statement)}`).waitFor();
    await checkScreen(page, 'evidence-available');

    // The download follows the signed URL and saves exactly the verified bytes.
    const downloaded = page.waitForEvent('download');
    await row.getByRole('button', { name: 'Download statement-march.pdf, version 1' }).click();
    const download = await downloaded;
    expect(download.suggestedFilename()).toBe('statement-march.pdf');
    expect(sha256Of(readFileSync(await download.path()))).toBe(sha256Of(statement));

    // The evidence date becomes a period.
    await row.getByRole('button', { name: 'Edit date: statement-march.pdf, version 1' }).click();
    const dateDialog = page.getByRole('dialog', {
      name: 'Evidence date of statement-march.pdf, version 1',
    });
    await dateDialog.getByLabel('Period end (optional)').fill('2024-06-30');
    await dateDialog.getByRole('button', { name: 'Save date' }).click();
    await row.getByText('2024-03-31 to 2024-06-30').waitFor();

    // A corrected file becomes version 2, and version 1 keeps its state.
    const corrected = pdfBytes('bank statement for March, corrected', 70 * 1024);
    await page.getByRole('button', { name: 'Upload a new version' }).click();
    const versionDialog = page.getByRole('dialog', { name: 'New version of Bank statement' });
    await versionDialog
      .locator('input[type="file"]')
      .setInputFiles(fileOf('statement-march-v2.pdf', corrected));
    await versionDialog.getByRole('button', { name: 'Upload new version' }).click();
    await versionDialog.getByText('(version 2) passed verification').waitFor();
    await versionDialog.getByRole('button', { name: 'Close dialog' }).click();
    await expect.poll(() => versionRows(page).count()).toBe(2);
    expect(
      await versionRows(page).evaluateAll((rows) => rows.map((row) => row.dataset.state)),
    ).toEqual(['available', 'available']);

    // A read-only user sees the items and may download, but not upload or edit.
    const rob = await createMember(server, admin, 'Rob', ['read_only']);
    const reader = await openPage(browser, server);
    await signInWithTotp(reader, rob);
    await reader.goto(`/exceptions/${id}`);
    await expectHeading(reader, 'Exception V100 · INV-1 · 100.00');
    await expect.poll(() => versionRows(reader).count()).toBe(2);
    expect(await reader.getByRole('button', { name: 'Upload evidence' }).count()).toBe(0);
    expect(await reader.getByRole('button', { name: 'Upload a new version' }).count()).toBe(0);
    expect(await reader.getByRole('button', { name: /^Edit date/ }).count()).toBe(0);
    expect(await reader.getByRole('button', { name: /^Download / }).count()).toBe(2);
    await checkScreen(reader, 'evidence-read-only');
  });

  it('quarantines the EICAR test file', async () => {
    const pia = await createMember(server, admin, 'Quinn', ['preparer']);
    const { page } = await openException(pia, 'V200');
    const form = await uploadEvidence(page, fileOf('eicar.txt', EICAR));
    await form.getByRole('button', { name: 'Upload', exact: true }).click();

    await page.getByTestId('upload-outcome').getByText('is quarantined').waitFor();
    const row = versionRows(page).first();
    expect(await row.getAttribute('data-state')).toBe('quarantined');
    await row.getByText('Eicar-Test-Signature').waitFor();
    expect(await row.getByRole('button', { name: /^Download/ }).count()).toBe(0);
    await checkScreen(page, 'evidence-quarantined');

    // The server refuses the download too, not only the page.
    const items = await requestFromPage(
      page,
      'GET',
      `/api/v1/evidence?subjectType=exception&subject=${new URL(page.url()).pathname.split('/').at(-1)}`,
    );
    const evidenceId = (items.body?.items as { id: string }[] | undefined)?.[0]?.id;
    const refused = await requestFromPage(
      page,
      'POST',
      `/api/v1/evidence/${evidenceId}/download`,
      {},
    );
    expect(refused.status).toBe(409);
  });

  it('keeps unscanned files pending', async () => {
    const pia = await createMember(server, admin, 'Sid', ['preparer']);
    const { page } = await openException(pia, 'V300');
    await clamd.stop();
    try {
      const form = await uploadEvidence(
        page,
        fileOf('reconciliation.csv', Buffer.from('account,balance\n1000,12.50\n')),
      );
      await form.getByRole('button', { name: 'Upload', exact: true }).click();
      await page
        .getByTestId('upload-outcome')
        .getByText(
          /cannot be downloaded until a scan finds it clean\. (Next retry at|Retry due now)/,
        )
        .waitFor();
    } finally {
      await clamd.start();
    }
    const row = versionRows(page).first();
    expect(await row.getAttribute('data-state')).toBe('scan_pending');
    // The note names the next retry, or that it is due, and never a time in the past.
    await row
      .getByText(/^No scan verdict yet.*\. (Next retry at .+|Retry due now: .+)\.$/)
      .waitFor();
    expect(await row.getByRole('button', { name: /^Download/ }).count()).toBe(0);
    await row.getByRole('button', { name: 'Check again: reconciliation.csv, version 1' }).waitFor();
    await checkScreen(page, 'evidence-scan-pending');
  });

  it('rejects a disallowed file before reading it', async () => {
    const pia = await createMember(server, admin, 'Ike', ['preparer']);
    const { page } = await openException(pia, 'V400');
    const declarations: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/evidence/uploads')) declarations.push(request.url());
    });

    const form = await uploadEvidence(page, fileOf('payroll.exe', Buffer.from('MZ')));
    await form
      .getByText('A .exe file cannot be evidence here. Upload one of these types: .pdf')
      .waitFor();
    await form.getByRole('button', { name: 'Upload', exact: true }).click();
    await form.getByText('A .exe file cannot be evidence here.', { exact: false }).waitFor();
    expect(declarations).toEqual([]);
    expect(await page.getByTestId('upload-outcome').count()).toBe(0);
  });
});
