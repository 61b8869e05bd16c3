import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { freshExceptions } from '../../../server/test/support/exception-fixtures.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import { expectHeading } from '../support/sign-in-page.ts';
import {
  chooseOption,
  createMember,
  type Member,
  requestFromPage,
} from '../support/workflow-fixtures.ts';

const TEST_KEY = 'duplicate-payments-exact';

describeInBrowser('exceptions', () => {
  let server: E2eServer;
  let browser: Browser;
  let admin: UserActor;
  /** Imports and runs the test that creates each case's exceptions. */
  let runner: Member;

  beforeAll(async () => {
    server = await startE2eServer();
    browser = await launchBrowser();
    admin = (await createFirstAdministrator(server)).actor;
    runner = await createMember(server, admin, 'Runner', ['preparer']);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Open the queue filtered to one engagement, as a link from elsewhere would. */
  async function openQueue(page: Page, entityCode: string): Promise<void> {
    await page.goto(`/exceptions?entity=${entityCode}`);
    await expectHeading(page, 'Exceptions');
    await page.getByTestId('exception-row').first().waitFor();
  }

  const rows = (page: Page) => page.getByTestId('exception-row');
  const statusOf = (page: Page) => page.getByTestId('exception-status').first();

  it('preparer filters, assigns and proposes', async () => {
    const pia = await createMember(server, admin, 'Pia', ['preparer']);
    const { entityCode, ids } = await freshExceptions(server, runner.actor, 'ORG', [
      'V100',
      'V200',
      'V300',
    ]);
    const page = await openPage(browser, server);
    await signInWithTotp(page, pia);

    await openQueue(page, entityCode);
    await expect.poll(() => rows(page).count()).toBe(3);
    await checkScreen(page, 'exceptions-queue');

    // Text search and "unassigned" narrow the list, and the filters go into the address.
    await page.getByLabel('Text search').fill('v200');
    await chooseOption(page, 'Assignee', 'No one (unassigned)');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('q')).toBe('v200');
    expect(new URL(page.url()).searchParams.get('assignee')).toBe('none');

    await rows(page).getByRole('link').click();
    await expectHeading(page, `Exception V200 · INV-2 · 101.00`);
    expect(new URL(page.url()).pathname).toBe(`/exceptions/${ids[1]}`);
    await page.getByText('vendor_id').waitFor();
    expect(await statusOf(page).textContent()).toBe('Open');

    await page.getByRole('button', { name: 'Assign to me' }).click();
    await expect.poll(() => statusOf(page).textContent()).toBe('In progress');

    await chooseOption(page, 'Disposition', 'False positive');
    await page.getByLabel('Rationale').fill('Both payments were refunded by the vendor in March.');
    await page.getByRole('button', { name: 'Propose disposition' }).click();
    await expect.poll(() => statusOf(page).textContent()).toBe('Proposed');
    await page.getByTestId('exception-rationale').getByText('refunded by the vendor').waitFor();
    // A preparer has no review permission, so no decision is offered.
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    await page.getByLabel('Add a comment').fill('Refund confirmation requested from AP.');
    await page.getByRole('button', { name: 'Add comment' }).click();
    const thread = page.getByTestId('comment-thread');
    await thread.getByText('Refund confirmation requested').waitFor();
    await thread.getByRole('button', { name: 'Edit' }).click();
    await thread.getByLabel('New version of your comment').fill('Refund confirmation received.');
    await thread.getByRole('button', { name: 'Save as new version' }).click();
    await thread.getByText('(version 2, edited)').waitFor();
    // Comments never change: the first version stays visible under the new one.
    await thread.getByTestId('comment-version').getByText('requested from AP').waitFor();
    expect(await page.getByTestId('history-row').count()).toBe(2);
    await checkScreen(page, 'exception-detail-proposed');

    // A reviewer finds the same proposals in the queue and approves them.
    const rita = await createMember(server, admin, 'Rita', ['reviewer']);
    const reviewer = await openPage(browser, server);
    await signInWithTotp(reviewer, rita);
    await reviewer.goto(`/exceptions?entity=${entityCode}&status=proposed`);
    await expectHeading(reviewer, 'Exceptions');
    await expect.poll(() => rows(reviewer).count()).toBe(1);
    // A reviewer may assign, so the queue offers row selection: the page's checkbox and the row's.
    expect(await reviewer.getByRole('checkbox').count()).toBe(2);
    await rows(reviewer).getByRole('link').click();
    await expectHeading(reviewer, `Exception V200 · INV-2 · 101.00`);
    await reviewer.getByRole('button', { name: 'Approve' }).waitFor();
    await checkScreen(reviewer, 'exception-detail-review');
    await reviewer.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => statusOf(reviewer).textContent()).toBe('Closed');
    await reviewer.getByText('rita@example.com', { exact: false }).first().waitFor();

    const detail = await server.services.exceptions.show(rita.actor, ids[1] ?? '');
    expect(detail.status).toBe('closed');
    expect(detail.reviewedBy).toBe('rita@example.com');
  });

  it('hides approval from the proposer', async () => {
    // Sam has both roles, so only separation of duties keeps him from approving.
    const sam = await createMember(server, admin, 'Sam', ['preparer', 'reviewer']);
    const { ids } = await freshExceptions(server, runner.actor, 'ORG', ['V400']);
    const id = ids[0] ?? '';
    await server.services.exceptions.assign(sam.actor, [id], sam.email, {});
    await server.services.exceptions.propose(
      sam.actor,
      [id],
      { disposition: 'false_positive', rationale: 'Timing difference only.' },
      {},
    );

    const page = await openPage(browser, server);
    await signInWithTotp(page, sam);
    await page.goto(`/exceptions/${id}`);
    await expectHeading(page, 'Exception V400 · INV-1 · 100.00');
    await page.getByText('You proposed this disposition').waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Return to preparer' }).count()).toBe(0);

    const response = await requestFromPage(page, 'POST', `/api/v1/exceptions/${id}/approve`, {});
    expect(response.status).toBe(403);
    expect(response.body?.code).toBe('SOD_PROPOSER_CANNOT_APPROVE');
    expect((await server.services.exceptions.show(sam.actor, id)).status).toBe('proposed');
  });

  it('shows read-only users no actions', async () => {
    const rob = await createMember(server, admin, 'Rob', ['read_only']);
    const { entityCode, ids } = await freshExceptions(server, runner.actor, 'ORG', ['V500']);
    const id = ids[0] ?? '';

    const page = await openPage(browser, server);
    await signInWithTotp(page, rob);
    await openQueue(page, entityCode);
    expect(await rows(page).count()).toBe(1);
    expect(await page.getByRole('checkbox').count()).toBe(0);
    await page.getByRole('button', { name: 'Export CSV' }).waitFor();
    await checkScreen(page, 'exceptions-queue-read-only');

    await rows(page).getByRole('link').click();
    await expectHeading(page, 'Exception V500 · INV-1 · 100.00');
    await page.getByText('No step is open to you').waitFor();
    const actions = page.getByRole('region', { name: 'Actions' });
    expect(await actions.getByRole('button').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Upload evidence' }).count()).toBe(0);
    expect(await page.getByLabel('Add a comment').count()).toBe(0);
    await checkScreen(page, 'exception-detail-read-only');

    const response = await requestFromPage(page, 'POST', `/api/v1/exceptions/${id}/assign`, {
      assignee: rob.email,
    });
    expect([403, 404]).toContain(response.status);
  });

  it('assigns and proposes in bulk', async () => {
    const bea = await createMember(server, admin, 'Bea', ['preparer']);
    const { entityCode, ids } = await freshExceptions(server, runner.actor, 'ORG', [
      'V600',
      'V700',
      'V800',
    ]);
    const page = await openPage(browser, server);
    await signInWithTotp(page, bea);
    await openQueue(page, entityCode);

    await page.getByRole('checkbox', { name: 'Select every exception on this page' }).check();
    await page.getByText('3 selected').waitFor();
    await page.getByRole('button', { name: 'Assign selected' }).click();
    const dialog = page.getByRole('dialog', { name: 'Assign 3 exceptions' });
    await dialog.getByRole('radio', { name: 'Me' }).check();
    await checkScreen(page, 'exceptions-bulk-assign');
    await dialog.getByRole('button', { name: 'Assign 3 exceptions' }).click();
    await page.getByText('Assigned 3 exceptions.').waitFor();
    await expect
      .poll(() => page.getByTestId('exception-status').allTextContents())
      .toEqual(['In progress', 'In progress', 'In progress']);

    // All or none: one exception assigned to someone else fails the whole proposal.
    await server.services.exceptions.assign(runner.actor, [ids[0] ?? ''], runner.email, {});
    await page.reload();
    await expectHeading(page, 'Exceptions');
    await page.getByRole('checkbox', { name: 'Select exception V700 · INV-2 · 101.00' }).check();
    await page.getByRole('checkbox', { name: 'Select exception V800 · INV-3 · 102.00' }).check();
    await page.getByRole('button', { name: 'Propose for selected' }).click();
    const propose = page.getByRole('dialog', { name: 'Propose a disposition for 2 exceptions' });
    await chooseOption(page, 'Disposition', 'Remediated');
    await propose.getByLabel('Rationale').fill('Duplicate payments recovered in April.');
    await propose.getByRole('button', { name: 'Propose for 2 exceptions' }).click();
    await page.getByText('Proposed a disposition for 2 exceptions.').waitFor();
    for (const id of ids.slice(1)) {
      expect((await server.services.exceptions.show(bea.actor, id)).status).toBe('proposed');
    }
    expect((await server.services.exceptions.show(bea.actor, ids[0] ?? '')).status).toBe(
      'in_progress',
    );
  });

  it('shows the conflict of a stale revision', async () => {
    const cal = await createMember(server, admin, 'Cal', ['preparer']);
    const { ids } = await freshExceptions(server, runner.actor, 'ORG', ['V900']);
    const id = ids[0] ?? '';
    const page = await openPage(browser, server);
    await signInWithTotp(page, cal);
    await page.goto(`/exceptions/${id}`);
    await expectHeading(page, 'Exception V900 · INV-1 · 100.00');
    await page.getByRole('button', { name: 'Assign to me' }).waitFor();

    // Someone else assigns it while the page still shows revision 1.
    await server.services.exceptions.assign(runner.actor, [id], runner.email, {});
    await page.getByRole('button', { name: 'Assign to me' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The step failed' });
    await alert.waitFor();
    expect(await alert.getAttribute('data-error-code')).toBe('CONFLICT');
    await alert
      .getByText(`Exception ${id} is at revision 2, not 1: someone changed it since you read it.`)
      .waitFor();
    await alert.getByTestId('request-id').waitFor();
    await checkScreen(page, 'exception-detail-conflict');

    await page.getByRole('button', { name: 'Reload the exception' }).click();
    await page.getByText('runner@example.com').first().waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  it('exports a test as CSV', async () => {
    const eve = await createMember(server, admin, 'Eve', ['read_only']);
    const { entityCode } = await freshExceptions(server, runner.actor, 'ORG', ['V950', 'V960']);
    const page = await openPage(browser, server);
    await signInWithTotp(page, eve);
    await page.goto(`/exceptions?entity=${entityCode}&test=${TEST_KEY}`);
    await expectHeading(page, 'Exceptions');
    await expect.poll(() => rows(page).count()).toBe(2);

    const downloaded = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const download = await downloaded;
    expect(download.suggestedFilename()).toMatch(
      new RegExp(`^exceptions_${entityCode}_${TEST_KEY}_\\d{8}T\\d{6}Z\\.csv$`),
    );
    const text = readFileSync(await download.path(), 'utf8');
    const lines = text
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toMatch(/^exception_id,entity_code,test_key,/);
    expect(lines).toHaveLength(3);
    await page.getByText(`Saved ${download.suggestedFilename()}.`).waitFor();
  });
});
