import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCheckpoint } from '../../../server/src/modules/audit-trail/checkpoints/create-checkpoint.ts';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { describeInBrowser, launchBrowser } from '../support/browser.ts';
import { openPage, signInWithTotp } from '../support/browser-session.ts';
import { type E2eServer, startE2eServer } from '../support/e2e-server.ts';
import { createFirstAdministrator, createUserWithTotp } from '../support/identity-fixtures.ts';
import { checkScreen } from '../support/page-checks.ts';
import { expectHeading } from '../support/sign-in-page.ts';
import { createMember, type Member } from '../support/workflow-fixtures.ts';

describeInBrowser('audit trail', () => {
  let server: E2eServer;
  let browser: Browser;
  let admin: UserActor;
  let alice: Member;
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

  /** Grant `role` to a new user through a change request that Alice makes and Bruno approves. */
  async function grantThroughRequest(email: string, role: 'reviewer' | 'read_only') {
    await createUserWithTotp(server, admin, { email, displayName: email.split('@')[0] ?? email });
    const user = (await server.services.identity.resolveCliActor(email)) as UserActor;
    const request = await server.services.grants.requestGrant(alice.actor, {
      userId: user.userId,
      role,
      entityCode: 'ORG',
      justification: `${email} needs the ${role} role.`,
    });
    await server.services.changeRequests.approve(bruno.actor, request.id, {
      diffSha256: request.diffSha256,
    });
    const [grant] = await server.services.grants.list(alice.actor, { userId: user.userId });
    if (grant === undefined) throw new Error(`the approved grant of ${email} is missing`);
    return { request, grant };
  }

  it('manager finds grant events and verifies a proof', async () => {
    const { request, grant } = await grantThroughRequest('tom@example.com', 'reviewer');
    const checkpoint = await createCheckpoint(server.database.db, await server.checkpointKey());
    expect(checkpoint).not.toBeNull();
    const mia = await createMember(server, admin, 'Mia', ['management']);

    const page = await openPage(browser, server);
    await signInWithTotp(page, mia);
    await page.goto('/audit');
    await expectHeading(page, 'Audit trail');
    expect(new URL(page.url()).pathname).toBe('/audit-trail');
    await page.getByTestId('latest-checkpoint').getByText('signature valid').waitFor();

    // The grant's own events: its creation, found by action and target.
    await page.getByLabel('Action').fill('access.grant_created');
    await page.getByLabel('Target id').fill(grant.id);
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.getByTestId('audit-event-row');
    await expect.poll(() => rows.count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('action')).toBe('access.grant_created');
    expect(new URL(page.url()).searchParams.get('targetId')).toBe(grant.id);
    expect(await rows.first().textContent()).toContain('role_grant');
    await checkScreen(page, 'audit-trail');

    // The approval of the same change request is there too, found by its target.
    await page.getByLabel('Action').fill('');
    await page.getByLabel('Target id').fill(request.id);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(async () => (await rows.allTextContents()).join('\n'))
      .toContain('change_request.approved');

    // Back to the grant event, and its inclusion proof.
    await page.getByLabel('Target id').fill(grant.id);
    await page.getByLabel('Action').fill('access.grant_created');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    await rows
      .first()
      .getByRole('button', { name: /^Inclusion proof of event/ })
      .click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('proof-verdict').waitFor();
    expect(await dialog.getByTestId('proof-verdict').textContent()).toBe(
      'The proof verifies: this event is in the signed checkpoint.',
    );
    await checkScreen(page, 'audit-inclusion-proof');
  });

  it('proof before a checkpoint shows the server message', async () => {
    await grantThroughRequest('uma@example.com', 'read_only');
    const page = await openPage(browser, server);
    await signInWithTotp(page, await createMember(server, admin, 'Max', ['management']));
    await page.goto('/audit-trail?action=access.grant_created');
    await expectHeading(page, 'Audit trail');
    const rows = page.getByTestId('audit-event-row');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    // Newest first, so the first row is Uma's grant, which no checkpoint covers yet.
    await rows
      .first()
      .getByRole('button', { name: /^Inclusion proof of event/ })
      .click();
    const alert = page.getByRole('dialog').getByRole('alert');
    await alert.waitFor();
    expect(await alert.getAttribute('data-error-code')).toBe('CONFLICT');
    expect(await alert.textContent()).toContain('not covered by a signed checkpoint yet');
  });

  it('download collects the matching events', async () => {
    const page = await openPage(browser, server);
    await signInWithTotp(page, await createMember(server, admin, 'Nia', ['management']));
    await page.goto('/audit-trail?action=access.grant_created');
    await expectHeading(page, 'Audit trail');
    await expect.poll(() => page.getByTestId('audit-event-row').count()).toBeGreaterThan(0);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download matching events' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^audit-events-.*\.jsonl$/);
    const stream = await file.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
    expect(lines.length).toBe(await page.getByTestId('audit-event-row').count());
    for (const line of lines) {
      const parsed = JSON.parse(line) as { hash: string; event: { action: string } };
      expect(parsed.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(parsed.event.action).toBe('access.grant_created');
    }
    await page.getByText(`Downloaded ${lines.length} events as JSON Lines.`).waitFor();
  });
});
