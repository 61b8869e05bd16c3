import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import {
  freshExceptions,
  runDuplicatePayments,
} from '../../../server/test/support/exception-fixtures.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import { expectHeading } from '../support/sign-in-page.ts';
import { createMember, type Member, requestFromPage } from '../support/workflow-fixtures.ts';

const REASON = 'The V100 disposition needs rework before sign-off.';

describeInBrowser('sign-offs', () => {
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

  const panelOf = (page: Page) => page.getByRole('region', { name: 'Sign-offs' });
  const rowsOf = (panel: Locator) => panel.getByTestId('sign-off-row');
  const statesOf = (panel: Locator) =>
    rowsOf(panel).evaluateAll((rows) =>
      rows.map((row) => `${row.getAttribute('data-level')} ${row.getAttribute('data-state')}`),
    );

  /** Sign `member` in and open the run's page. */
  async function openRun(member: Member, runId: string): Promise<Page> {
    const page = await openPage(browser, server);
    await signInWithTotp(page, member);
    await page.goto(`/runs/${runId}`);
    await panelOf(page).getByTestId('current-sha256').waitFor();
    return page;
  }

  it('signs a run, blocks its exceptions, withdraws and goes stale', async () => {
    // Pia has both roles, so only separation of duties keeps her from reviewing.
    const pia = await createMember(server, admin, 'Pia', ['preparer', 'reviewer']);
    const rita = await createMember(server, admin, 'Rita', ['reviewer']);
    const { entityCode, runId, ids } = await freshExceptions(server, runner.actor, 'ORG', [
      'V100',
      'V200',
    ]);
    // A second run without V200 closes it, so that a later run flagging it again reopens it.
    await runDuplicatePayments(server, runner.actor, entityCode, ['V100']);

    const preparer = await openRun(pia, runId);
    const preparerPanel = panelOf(preparer);
    await preparerPanel.getByText("No one has signed off the run's results yet.").waitFor();
    await preparerPanel.getByRole('button', { name: 'Sign as preparer' }).click();
    await preparerPanel.getByText("Signed the run's results as preparer.").waitFor();
    await expect.poll(() => statesOf(preparerPanel)).toEqual(['preparer current']);
    expect(await preparerPanel.getByRole('button', { name: 'Sign as reviewer' }).count()).toBe(0);
    await preparerPanel
      .getByText(
        "You signed the run's results as preparer, so someone else signs as reviewer (separation of duties).",
      )
      .waitFor();
    await checkScreen(preparer, 'sign-offs-run-preparer');

    // The API rejects the same request that the hidden button would send.
    const rejected = await requestFromPage(preparer, 'POST', '/api/v1/sign-offs/reviewer', {
      targetType: 'run',
      target: runId,
    });
    expect(rejected.status).toBe(403);
    expect(rejected.body?.code).toBe('SOD_PREPARER_CANNOT_REVIEW');

    const reviewer = await openRun(rita, runId);
    const reviewerPanel = panelOf(reviewer);
    await reviewerPanel.getByRole('button', { name: 'Sign as reviewer' }).click();
    await reviewerPanel.getByText("Signed the run's results as reviewer.").waitFor();
    await expect
      .poll(() => statesOf(reviewerPanel))
      .toEqual(['reviewer current', 'preparer current']);
    const signedHash = await reviewerPanel.getByTestId('current-sha256').textContent();
    expect(
      await rowsOf(reviewerPanel)
        .first()
        .getByText(signedHash ?? '')
        .count(),
    ).toBe(1);
    await checkScreen(reviewer, 'sign-offs-run-reviewed');

    // Every exception the run flagged is now read-only, and the page offers no step.
    await preparer.goto(`/exceptions/${ids[0] ?? ''}`);
    await expectHeading(preparer, 'Exception V100 · INV-1 · 100.00');
    const notice = preparer.getByTestId('signed-off-notice');
    await notice.getByRole('link', { name: 'the run' }).waitFor();
    expect(await preparer.getByRole('button', { name: 'Assign to me' }).count()).toBe(0);
    expect(await preparer.getByTestId('exception-status').first().textContent()).toBe('Open');
    await checkScreen(preparer, 'sign-offs-exception-read-only');

    // The API rejects the step all the same.
    const assigned = await requestFromPage(
      preparer,
      'POST',
      `/api/v1/exceptions/${ids[0] ?? ''}/assign`,
      { assignee: pia.email },
    );
    expect(assigned.status).toBe(409);
    expect(assigned.body?.code).toBe('SIGNED_OFF');

    // A withdrawal needs a reason.
    await reviewerPanel.getByRole('button', { name: 'Withdraw sign-offs' }).click();
    await reviewerPanel.getByText('Expected at least one character').waitFor();
    await reviewerPanel.getByLabel('Reason for the withdrawal').fill(REASON);
    await reviewerPanel.getByRole('button', { name: 'Withdraw sign-offs' }).click();
    await reviewerPanel.getByText("Withdrew the sign-offs of the run's results.").first().waitFor();
    await expect
      .poll(() => statesOf(reviewerPanel))
      .toEqual(['reviewer withdrawn', 'preparer withdrawn']);
    expect(
      await reviewerPanel.getByText(`Withdrawn by rita@example.com`, { exact: false }).count(),
    ).toBe(2);
    expect(await reviewerPanel.getByText(REASON).count()).toBe(2);
    expect(await reviewerPanel.getByRole('button', { name: 'Withdraw sign-offs' }).count()).toBe(0);
    await checkScreen(reviewer, 'sign-offs-run-withdrawn');

    // The exception can change again.
    await preparer.reload();
    await expectHeading(preparer, 'Exception V100 · INV-1 · 100.00');
    await preparer.getByRole('button', { name: 'Assign to me' }).click();
    await expect
      .poll(() => preparer.getByTestId('exception-status').first().textContent())
      .toBe('In progress');

    // Pia has now prepared an exception of the run, so the server rejects her
    // as its reviewer, though the page offers her the step once someone
    // else has signed as preparer.
    await server.services.signOffs.sign(runner.actor, {
      targetType: 'run',
      target: runId,
      level: 'preparer',
    });
    await preparer.goto(`/runs/${runId}`);
    await preparerPanel.getByRole('button', { name: 'Sign as reviewer' }).click();
    const denied = preparerPanel.locator('[data-error-code="SOD_PREPARER_CANNOT_REVIEW"]');
    await denied.waitFor();
    await denied.getByTestId('request-id').waitFor();
    await expect
      .poll(() => statesOf(preparerPanel))
      .toEqual(['preparer current', 'reviewer withdrawn', 'preparer withdrawn']);

    // A later run flags V200 again and reopens it, which changes the signed content.
    await runDuplicatePayments(server, runner.actor, entityCode, ['V100', 'V200']);
    await preparer.reload();
    await expect
      .poll(() => statesOf(preparerPanel))
      .toEqual(['preparer stale', 'reviewer withdrawn', 'preparer withdrawn']);
    await rowsOf(preparerPanel)
      .first()
      .getByText("The run's results changed after this sign-off")
      .waitFor();
    const nowHash = await preparerPanel.getByTestId('current-sha256').textContent();
    expect(nowHash).not.toBe(signedHash);
    await preparerPanel.getByRole('button', { name: 'Sign as preparer' }).waitFor();
    expect(await preparerPanel.getByRole('button', { name: 'Sign as reviewer' }).count()).toBe(0);
    await checkScreen(preparer, 'sign-offs-run-stale');
  });

  it('signs an engagement from the entity tree', async () => {
    const eve = await createMember(server, admin, 'Eve', ['preparer']);
    const { entityCode } = await freshExceptions(server, runner.actor, 'ORG', ['V300']);

    const page = await openPage(browser, server);
    await signInWithTotp(page, eve);
    await page.goto('/entities');
    await expectHeading(page, 'Entities');
    await page.getByRole('link', { name: entityCode, exact: true }).click();
    await expectHeading(page, entityCode);

    const panel = panelOf(page);
    await panel.getByText("No one has signed off the engagement's workpapers yet.").waitFor();
    // Eve may not review, so the panel offers her no reviewer step and no withdrawal.
    expect(await panel.getByTestId('sign-off-note').count()).toBe(0);
    await panel.getByRole('button', { name: 'Sign as preparer' }).click();
    await panel.getByText("Signed the engagement's workpapers as preparer.").waitFor();
    await expect.poll(() => statesOf(panel)).toEqual(['preparer current']);
    expect(await panel.getByRole('button', { name: 'Withdraw sign-offs' }).count()).toBe(0);
    await checkScreen(page, 'sign-offs-engagement');

    const listing = await server.services.signOffs.list(eve.actor, {
      targetType: 'engagement',
      target: entityCode,
    });
    expect(listing.signOffs.map((signOff) => signOff.signedBy)).toEqual(['eve@example.com']);

    // Only an engagement has workpapers, so the organization shows no panel.
    await page.goto('/entities/ORG');
    await expectHeading(page, 'Example Group (ORG)');
    await page.getByText('Only an engagement has workpapers to sign off.').waitFor();
    expect(await panelOf(page).count()).toBe(0);
  });
});
