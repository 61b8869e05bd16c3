import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { grantRoleDirectly } from '../../../server/test/support/entity-fixtures.ts';
import { freshExceptions } from '../../../server/test/support/exception-fixtures.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator, createUserWithPassword } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import { expectHeading } from '../support/sign-in-page.ts';
import { chooseOption, createMember, type Member } from '../support/workflow-fixtures.ts';

const RATIONALE = 'The vendor refunds duplicates within 30 days; the exposure is below 1,000.';

describeInBrowser('exception review', () => {
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

  /** Suspend the account as the database owner, as an administrator's suspension would leave it. */
  async function suspendUser(email: string): Promise<void> {
    const owner = new pg.Client({ connectionString: server.ownerUrl });
    await owner.connect();
    try {
      await owner.query("UPDATE users SET status = 'suspended' WHERE email = $1", [email]);
    } finally {
      await owner.end();
    }
  }

  const statusOf = (page: Page) => page.getByTestId('exception-status').first();
  const actions = (page: Page) => page.getByRole('region', { name: 'Actions' });

  /** Sign `member` in and open the exception's page. */
  async function openException(member: Member, id: string, heading: string): Promise<Page> {
    const page = await openPage(browser, server);
    await signInWithTotp(page, member);
    await page.goto(`/exceptions/${id}`);
    await expectHeading(page, heading);
    return page;
  }

  /**
   * Take the exception through assignment to `preparer`, a risk acceptance
   * proposal and the approval of `reviewer`, through the services.
   */
  async function reviewedRisk(id: string, preparer: Member, reviewer: Member): Promise<void> {
    const { exceptions } = server.services;
    await exceptions.assign(reviewer.actor, [id], preparer.email, {});
    await exceptions.propose(
      preparer.actor,
      [id],
      { disposition: 'risk_accepted', rationale: RATIONALE },
      {},
    );
    await exceptions.approve(reviewer.actor, id, { comment: '' });
  }

  it('management accepts a risk that a reviewer approved', async () => {
    const pia = await createMember(server, admin, 'Pia', ['preparer']);
    const rita = await createMember(server, admin, 'Rita', ['reviewer']);
    const mona = await createMember(server, admin, 'Mona', ['management']);
    const { ids } = await freshExceptions(server, runner.actor, 'ORG', ['V100']);
    const id = ids[0] ?? '';
    const heading = 'Exception V100 · INV-1 · 100.00';

    // The preparer cannot read the dashboard, so sign-in opens the exception queue.
    const preparer = await openPage(browser, server);
    await signInWithTotp(preparer, pia);
    await expectHeading(preparer, 'Exceptions');
    expect(await preparer.getByRole('link', { name: 'Dashboard' }).count()).toBe(0);
    await preparer.goto(`/exceptions/${id}`);
    await expectHeading(preparer, heading);

    // She picks herself from the preparers of the entity, by name.
    const select = actions(preparer).getByRole('combobox', { name: 'Preparer' });
    await select.fill('pia');
    await preparer.getByRole('option', { name: 'Pia (pia@example.com)' }).waitFor();
    expect(await preparer.getByRole('option', { name: /rita@example\.com/ }).count()).toBe(0);
    await checkScreen(preparer, 'exception-assign-select');
    await preparer.getByRole('option', { name: 'Pia (pia@example.com)' }).click();
    await actions(preparer).getByRole('button', { name: 'Assign to preparer' }).click();
    await expect.poll(() => statusOf(preparer).textContent()).toBe('In progress');
    await actions(preparer).getByText('Assigned to pia@example.com.').waitFor();

    await chooseOption(preparer, 'Disposition', 'Risk accepted');
    await preparer.getByLabel('Rationale').fill(RATIONALE);
    await preparer.getByRole('button', { name: 'Propose disposition' }).click();
    await expect.poll(() => statusOf(preparer).textContent()).toBe('Proposed');

    // The reviewer approves; a risk acceptance then waits for management.
    const reviewer = await openException(rita, id, heading);
    await reviewer.getByRole('button', { name: 'Approve' }).click();
    await actions(reviewer).getByText('Approved.').waitFor();
    expect(await statusOf(reviewer).textContent()).toBe('Proposed');
    expect(await reviewer.getByRole('button', { name: 'Accept risk' }).count()).toBe(0);

    const manager = await openException(mona, id, heading);
    await manager.getByRole('button', { name: 'Accept risk' }).waitFor();
    await checkScreen(manager, 'exception-risk-decision');
    await manager.getByRole('button', { name: 'Accept risk' }).click();
    await expect.poll(() => statusOf(manager).textContent()).toBe('Closed');
    await actions(manager).getByText('Risk accepted.').waitFor();
    await checkScreen(manager, 'exception-risk-accepted');

    const detail = await server.services.exceptions.show(mona.actor, id);
    expect(detail.status).toBe('closed');
    expect(detail.disposition).toBe('risk_accepted');
    expect(detail.reviewedBy).toBe('rita@example.com');
    expect(detail.riskAcceptedBy).toBe('mona@example.com');
  });

  it('management declines a risk with a comment', async () => {
    const pat = await createMember(server, admin, 'Pat', ['preparer']);
    const rex = await createMember(server, admin, 'Rex', ['reviewer']);
    const max = await createMember(server, admin, 'Max', ['management']);
    const { ids } = await freshExceptions(server, runner.actor, 'ORG', ['V200']);
    const id = ids[0] ?? '';
    await reviewedRisk(id, pat, rex);

    const page = await openException(max, id, 'Exception V200 · INV-1 · 100.00');
    await page.getByRole('button', { name: 'Decline risk' }).click();
    // Declining needs a comment that gives the preparer the next step.
    await page.getByText('Say what the preparer should do next').waitFor();
    expect(await statusOf(page).textContent()).toBe('Proposed');

    await actions(page)
      .getByLabel('Comment')
      .fill('Recover the duplicate instead of accepting it.');
    await page.getByRole('button', { name: 'Decline risk' }).click();
    await actions(page).getByText('Risk acceptance declined.').waitFor();
    // The server sends it back to its preparer as in progress, without the proposal.
    await expect.poll(() => statusOf(page).textContent()).toBe('In progress');
    await page.getByText('Recover the duplicate instead of accepting it.').first().waitFor();
    await checkScreen(page, 'exception-risk-declined');

    const detail = await server.services.exceptions.show(max.actor, id);
    expect(detail.status).toBe('in_progress');
    expect(detail.assignee).toBe('pat@example.com');
    expect(detail.disposition).toBeNull();
    expect(detail.rationale).toBeNull();
    expect(detail.history.at(-1)).toMatchObject({
      actor: 'max@example.com',
      comment: 'Recover the duplicate instead of accepting it.',
      toStatus: 'in_progress',
    });
  });

  it('asks the reviewer to acknowledge evidence that is not available', async () => {
    const pam = await createMember(server, admin, 'Pam', ['preparer']);
    const ron = await createMember(server, admin, 'Ron', ['reviewer']);
    const { ids } = await freshExceptions(server, runner.actor, 'ORG', ['V300']);
    const id = ids[0] ?? '';
    await server.services.exceptions.assign(ron.actor, [id], pam.email, {});
    await server.services.exceptions.propose(
      pam.actor,
      [id],
      { disposition: 'false_positive', rationale: 'Refunded, see the bank statement.' },
      {},
    );
    // Declared but never uploaded, so it stays pending_upload.
    await server.services.evidence.declare(pam.actor, {
      subjectType: 'exception',
      subject: id,
      title: 'March bank statement',
      fileName: 'statement-march.pdf',
      size: 2048,
      sha256: 'ab'.repeat(32),
      contentType: 'application/pdf',
    });

    const page = await openException(ron, id, 'Exception V300 · INV-1 · 100.00');
    const warning = page.getByTestId('evidence-warning');
    await warning.getByText('March bank statement, version 1: pending upload').waitFor();
    const approve = page.getByRole('button', { name: 'Approve' });
    expect(await approve.isDisabled()).toBe(true);
    // Returning stays open: only the approval rests on the evidence.
    expect(await page.getByRole('button', { name: 'Return to preparer' }).isDisabled()).toBe(false);
    await checkScreen(page, 'exception-review-evidence-warning');

    await warning.getByLabel('I have seen this and want to approve anyway').check();
    expect(await approve.isDisabled()).toBe(false);
    await approve.click();
    await expect.poll(() => statusOf(page).textContent()).toBe('Closed');
    expect((await server.services.exceptions.show(ron.actor, id)).reviewedBy).toBe(
      'ron@example.com',
    );
  });

  it('offers in bulk only preparers of every selected entity', async () => {
    const rae = await createMember(server, admin, 'Rae', ['reviewer']);
    const first = await freshExceptions(server, runner.actor, 'ORG', ['V400']);
    const second = await freshExceptions(server, runner.actor, 'ORG', ['V500']);
    // Ella prepares the first engagement only. Sid did too, until his suspension.
    for (const name of ['Ella', 'Sid']) {
      const email = `${name.toLowerCase()}@example.com`;
      await createUserWithPassword(server, admin, { email, displayName: name });
      await grantRoleDirectly(server.ownerUrl, {
        email,
        role: 'preparer',
        entityCode: first.entityCode,
      });
    }
    await suspendUser('sid@example.com');

    const page = await openPage(browser, server);
    await signInWithTotp(page, rae);
    await page.goto(`/exceptions?entity=ORG&q=V`);
    await expectHeading(page, 'Exceptions');
    await page.getByRole('checkbox', { name: 'Select exception V400 · INV-1 · 100.00' }).check();
    await page.getByRole('checkbox', { name: 'Select exception V500 · INV-1 · 100.00' }).check();
    await page.getByRole('button', { name: 'Assign selected' }).click();
    const dialog = page.getByRole('dialog', { name: 'Assign 2 exceptions' });
    await dialog
      .getByText(
        `Preparers of every entity in the selection: ${first.entityCode}, ${second.entityCode}`,
      )
      .waitFor();
    await dialog.getByRole('combobox', { name: 'Preparer' }).click();
    await page.getByRole('option', { name: 'Runner (runner@example.com)' }).waitFor();
    expect(await page.getByRole('option', { name: /ella@example\.com/ }).count()).toBe(0);
    await checkScreen(page, 'exceptions-bulk-assign-select');
    await page.getByRole('option', { name: 'Runner (runner@example.com)' }).click();
    await dialog.getByRole('button', { name: 'Assign 2 exceptions' }).click();
    await page.getByText('Assigned 2 exceptions.').waitFor();

    // The first engagement alone adds Ella, but never the suspended Sid.
    await page.goto(`/exceptions/${first.ids[0] ?? ''}`);
    await expectHeading(page, 'Exception V400 · INV-1 · 100.00');
    await actions(page).getByRole('combobox', { name: 'Preparer' }).click();
    await page.getByRole('option', { name: 'Ella (ella@example.com)' }).waitFor();
    expect(await page.getByRole('option', { name: /sid@example\.com/ }).count()).toBe(0);
  });

  it('opens the queue for a read-only user', async () => {
    const rob = await createMember(server, admin, 'Rob', ['read_only']);
    const page = await openPage(browser, server);
    await signInWithTotp(page, rob);
    await expectHeading(page, 'Exceptions');
    expect(new URL(page.url()).pathname).toBe('/exceptions');

    // The start page sends the user on as well, without showing the dashboard.
    await page.goto('/');
    await expectHeading(page, 'Exceptions');
    expect(new URL(page.url()).pathname).toBe('/exceptions');
    await checkScreen(page, 'landing-read-only');
  });

  it('shows hidden characters of a payload as code points', async () => {
    const ida = await createMember(server, admin, 'Ida', ['read_only']);
    const vendor = 'V6\u202Egpj.exe';
    const { ids } = await freshExceptions(server, runner.actor, 'ORG', [vendor]);

    const page = await openException(
      ida,
      ids[0] ?? '',
      'Exception V6⟨U+202E⟩gpj.exe · INV-1 · 100.00',
    );
    const payload = page.getByRole('region', { name: 'Flagged row' });
    const marker = payload.getByRole('img', {
      name: 'hidden character U+202E, right-to-left override',
    });
    await marker.waitFor();
    expect(await marker.textContent()).toBe('⟨U+202E⟩');
    // The stored value keeps the character; only the display marks it.
    const detail = await server.services.exceptions.show(ida.actor, ids[0] ?? '');
    expect(detail.keyValues[0]).toBe(vendor);
    await checkScreen(page, 'exception-hidden-characters');
  });
});
