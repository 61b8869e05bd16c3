import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { grantRoleDirectly } from '../../../server/test/support/entity-fixtures.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, signInWithRecoveryCode, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator, createUserWithTotp } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import { expectHeading } from '../support/sign-in-page.ts';
import { createMember, type Member } from '../support/workflow-fixtures.ts';

describeInBrowser('change requests', () => {
  let server: E2eServer;
  let browser: Browser;
  let admin: UserActor;
  /** Requests grants. */
  let alice: Member;
  /** A second administrator, who approves Alice's requests. */
  let bruno: Member;

  beforeAll(async () => {
    server = await startE2eServer();
    browser = await launchBrowser();
    admin = (await createFirstAdministrator(server)).actor;
    alice = await createMember(server, admin, 'Alice', ['administrator']);
    bruno = await createMember(server, admin, 'Bruno', ['administrator']);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /**
   * Open a page signed in as Bruno with a recovery code, because TOTP
   * accepts each 30-second step once and every test signs him in.
   */
  async function signedInBruno(): Promise<Page> {
    const page = await openPage(browser, server);
    await signInWithRecoveryCode(page, bruno);
    return page;
  }

  it('second administrator approves a requested grant', async () => {
    const tom = await createUserWithTotp(server, admin, {
      email: 'tom@example.com',
      displayName: 'Tom',
    });
    const page = await openPage(browser, server);
    await signInWithTotp(page, alice);

    await page.goto('/administration?tab=grants');
    await expectHeading(page, 'Administration');
    const form = page.locator('form', { has: page.getByRole('button', { name: 'Request grant' }) });
    await form.getByLabel('User').selectOption({ label: 'Tom <tom@example.com>' });
    await form.getByLabel('Role').selectOption('reviewer');
    await form.getByLabel('Entity').selectOption('ORG');
    await form.getByLabel('Justification').fill('Tom reviews the 2026 payments engagement.');
    await form.getByRole('button', { name: 'Request grant' }).click();
    const requested = page.getByRole('alert').filter({ hasText: 'Grant requested' });
    await requested.waitFor();
    await checkScreen(page, 'administration-grants');

    // The requester gets the request and its diff, without an approve button.
    await requested.getByRole('link', { name: 'the change request' }).click();
    await expectHeading(page, 'Change request: Grant a role');
    const requestUrl = page.url();
    await page
      .getByText('You made this request, so someone else must approve or reject it.')
      .waitFor();
    expect(await page.getByRole('button', { name: 'Approve and apply' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reject' }).count()).toBe(0);
    await checkScreen(page, 'change-request-own');

    // Bruno finds it in his inbox and approves it.
    const other = await signedInBruno();
    await other.goto('/change-requests');
    await expectHeading(other, 'Change requests');
    const row = other.getByTestId('change-request-row').filter({ hasText: 'Tom reviews the 2026' });
    await row.waitFor();
    await checkScreen(other, 'change-requests');
    await row.getByRole('link', { name: 'Grant a role' }).click();
    await expectHeading(other, 'Change request: Grant a role');
    expect(other.url()).toBe(requestUrl);
    const changed = other.locator('[data-testid="diff-row"][data-changed="true"]');
    await expect.poll(() => changed.count()).toBeGreaterThan(0);
    await other.getByRole('button', { name: 'Approve and apply' }).waitFor();
    await checkScreen(other, 'change-request-decide');

    const approval = other.waitForResponse((response) => response.url().endsWith('/approve'));
    await other.getByRole('button', { name: 'Approve and apply' }).click();
    expect((await approval).status()).toBe(200);
    await expect
      .poll(() => other.getByTestId('change-request-status').textContent())
      .toBe('applied');

    // The grant now exists, approved by Bruno through the request.
    await page.goto('/administration?tab=grants');
    await expectHeading(page, 'Administration');
    await page.getByRole('tab', { name: 'Role grants' }).waitFor();
    const grantsSection = page.getByRole('tabpanel');
    await grantsSection
      .getByLabel('User', { exact: true })
      .last()
      .selectOption({ label: tom.email });
    const grantRow = page.getByTestId('grant-row').filter({ hasText: 'reviewer' });
    await grantRow.waitFor();
    expect(await grantRow.textContent()).toContain('bruno@example.com');
  });

  it('approver sees the stale message', async () => {
    const uma = await createUserWithTotp(server, admin, {
      email: 'uma@example.com',
      displayName: 'Uma',
    });
    const request = await server.services.grants.requestGrant(alice.actor, {
      userId: ((await server.services.identity.resolveCliActor(uma.email)) as UserActor).userId,
      role: 'read_only',
      entityCode: 'ORG',
      justification: 'Uma needs to read the payments.',
    });
    // The same grant made outside the request changes the target, so the request turns stale.
    await grantRoleDirectly(server.ownerUrl, {
      email: uma.email,
      role: 'read_only',
      entityCode: 'ORG',
    });

    const other = await signedInBruno();
    await other.goto(`/change-requests/${request.id}`);
    await expectHeading(other, 'Change request: Grant a role');
    await other.getByRole('button', { name: 'Approve and apply' }).click();
    const alert = other.getByRole('alert').filter({ hasText: 'Approval failed' });
    await alert.waitFor();
    expect(await alert.getAttribute('data-error-code')).toBe('CHANGE_REQUEST_STALE');
    await alert.getByTestId('request-id').waitFor();
    await expect.poll(() => other.getByTestId('change-request-status').textContent()).toBe('stale');
    await checkScreen(other, 'change-request-stale');
  });

  it('approver rejects with a note', async () => {
    const vic = await createUserWithTotp(server, admin, {
      email: 'vic@example.com',
      displayName: 'Vic',
    });
    const request = await server.services.grants.requestGrant(alice.actor, {
      userId: ((await server.services.identity.resolveCliActor(vic.email)) as UserActor).userId,
      role: 'administrator',
      entityCode: 'ORG',
      justification: 'Vic covers for Alice.',
    });

    const other = await signedInBruno();
    await other.goto(`/change-requests/${request.id}`);
    await expectHeading(other, 'Change request: Grant a role');
    await other.getByRole('button', { name: 'Reject' }).click();
    await other.getByText('Expected at least one character').waitFor();
    await other.getByLabel('Note').fill('Vic has no training yet.');
    await other.getByRole('button', { name: 'Reject' }).click();
    await expect
      .poll(() => other.getByTestId('change-request-status').textContent())
      .toBe('rejected');
    await other.getByText('Vic has no training yet.').first().waitFor();
  });
});
