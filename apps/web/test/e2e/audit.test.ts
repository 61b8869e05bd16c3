import { readFile } from 'node:fs/promises';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCheckpoint } from '../../../server/src/modules/audit-trail/checkpoints/create-checkpoint.ts';
import { verifyExport } from '../../../server/src/modules/audit-trail/export/verify-export.ts';
import { verifyAndRecord } from '../../../server/src/modules/audit-trail/verification/verification-results.ts';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import { readEd25519PublicKey } from '../../../server/src/platform/keys/signing-key.ts';
import {
  createEntityDirectly,
  grantRoleDirectly,
} from '../../../server/test/support/entity-fixtures.ts';
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

    const key = await server.checkpointKey();
    await verifyAndRecord(server.database.db, readEd25519PublicKey(key.publicKeyPem));

    const page = await openPage(browser, server);
    await signInWithTotp(page, mia);
    await page.goto('/audit');
    await expectHeading(page, 'Audit trail');
    expect(new URL(page.url()).pathname).toBe('/audit-trail');
    await page.getByTestId('latest-checkpoint').getByText('signature valid').waitFor();
    const verification = page.getByTestId('verification-state');
    await verification.getByText('intact').waitFor();
    expect(await verification.textContent()).toMatch(/\d+ events and 1 checkpoints checked/);

    // The grant's own events: its creation, found by action and target.
    await page.getByLabel('Action').fill('access.grant_created');
    await page.getByLabel('Target id').fill(grant.id);
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.getByTestId('audit-event-row');
    await expect.poll(() => rows.count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('action')).toBe('access.grant_created');
    expect(new URL(page.url()).searchParams.get('targetId')).toBe(grant.id);
    expect(await rows.first().textContent()).toContain('role_grant');
    // Mia has no users.read grant, yet the search response names the actor.
    expect(await rows.first().textContent()).toMatch(/(Alice|Bruno) <(alice|bruno)@example\.com>/);
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

  it('signed export downloads a verifiable file', async () => {
    const page = await openPage(browser, server);
    await signInWithTotp(page, await createMember(server, admin, 'Ola', ['management']));
    await page.goto('/audit-trail');
    await expectHeading(page, 'Audit trail');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download signed export' }).click();
    const file = await download;

    expect(file.suggestedFilename()).toMatch(/^audit-trail_\d+-events_.*\.jsonl$/);
    const saved = await file.path();
    const key = await server.checkpointKey();
    const report = await verifyExport(saved, readEd25519PublicKey(key.publicKeyPem));
    expect(report.damage).toBeNull();
    expect(report.signedSize).toBe(report.events);
    expect((await readFile(saved, 'utf8')).split('\n').length).toBeGreaterThan(report.events);
    await page.getByText(`Saved ${file.suggestedFilename()}.`).waitFor();
  });

  it('subtree manager gets the scoped download only', async () => {
    await createEntityDirectly(server.ownerUrl, {
      code: 'SUB',
      parentCode: 'ORG',
      type: 'business_unit',
    });
    const pia = await createUserWithTotp(server, admin, {
      email: 'pia@example.com',
      displayName: 'Pia',
    });
    await grantRoleDirectly(server.ownerUrl, {
      email: pia.email,
      role: 'management',
      entityCode: 'SUB',
    });

    const page = await openPage(browser, server);
    await signInWithTotp(page, pia);
    await page.goto('/audit-trail');
    await expectHeading(page, 'Audit trail');

    await page.getByTestId('signed-export-unavailable').waitFor();
    expect(await page.getByRole('button', { name: 'Download signed export' }).count()).toBe(0);
    expect(await page.getByTestId('signed-export-unavailable').textContent()).toContain(
      'organization root',
    );
    await page.getByRole('button', { name: 'Download matching events' }).waitFor();
    await checkScreen(page, 'audit-trail-subtree');
  });

  it('shows damage that verification found', async () => {
    const owner = new pg.Client({ connectionString: server.ownerUrl });
    await owner.connect();
    try {
      await owner.query(
        `INSERT INTO audit_verifications (started_at, duration_ms, tree_size, checkpoints, outcome,
           damage_seq, damage_kind, instance)
         VALUES (now(), 12, 40, 2, 'damaged', 7, 'checkpoint_mismatch', 'e2e:1')`,
      );
    } finally {
      await owner.end();
    }

    const page = await openPage(browser, server);
    await signInWithTotp(page, await createMember(server, admin, 'Quinn', ['management']));
    await page.goto('/audit-trail');
    await expectHeading(page, 'Audit trail');

    const damage = page.getByTestId('verification-damage');
    await damage.waitFor();
    expect(await damage.textContent()).toContain('Event 7');
    expect(await damage.textContent()).toContain('checkpoint_mismatch');
    expect(await page.getByTestId('verification-state').textContent()).toContain('damaged');
    await checkScreen(page, 'audit-verification-damaged');
  });
});
