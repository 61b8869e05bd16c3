import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStaleSignInState } from '../../src/modules/identity/housekeeping.ts';
import {
  accountKey,
  beginAttempt,
  networkKey,
} from '../../src/modules/identity/login/login-throttle.ts';
import { normalizeRecoveryCode } from '../../src/modules/identity/mfa/recovery-codes.ts';
import { createPasswordHasher } from '../../src/modules/identity/passwords/password-hasher.ts';
import { findPasswordProblem } from '../../src/modules/identity/passwords/password-policy.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { createLogger } from '../../src/platform/logging/logger.ts';
import { migrateDatabase } from '../../src/runtime.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

describe('password policy', () => {
  it.each([
    ['eleven char', 'The password has 11 characters; use at least 12.'],
    ['password1234', 'The password is on the list of commonly used passwords; choose another.'],
    ['##iloveyou##2024', 'The password is on the list of commonly used passwords; choose another.'],
    [
      'abababababababab',
      'The password repeats one or two characters; choose a less predictable one.',
    ],
  ])('rejects %j', (password, problem) => {
    expect(findPasswordProblem(password)).toBe(problem);
  });

  it('counts code points after NFKC normalization', () => {
    // Twelve full-width letters normalize to twelve ASCII ones.
    expect(findPasswordProblem('ｑｕａｒｔｚ－ｍｅａｄｏｗ')).toBeNull();
    expect(findPasswordProblem('🦊🦊🦊🦊🦊🐻🐻🐻🐻🐻🐼')).toBe(
      'The password has 11 characters; use at least 12.',
    );
  });

  it('rejects the email name and display name', () => {
    expect(findPasswordProblem('marta.k-winter-2031', { email: 'marta.k@example.com' })).toContain(
      'email name',
    );
    expect(findPasswordProblem('xx-MartaKowalska-xx', { displayName: 'Marta Kowalska' })).toContain(
      'your name',
    );
  });

  it('accepts 256 characters and rejects 257', () => {
    const base = 'correct horse battery staple ';
    const long = base.repeat(9).slice(0, 256);
    expect(findPasswordProblem(long)).toBeNull();
    expect(findPasswordProblem(`${long}x`)).toBe(
      'The password has 257 characters; use at most 256.',
    );
  });
});

describe('password hasher', () => {
  const hasher = createPasswordHasher({ memoryKib: 19_456, timeCost: 2 });

  it('verifies its own hash and rejects another password', async () => {
    const stored = await hasher.hash('lantern-cobalt-river');

    expect(await hasher.verify(stored, 'lantern-cobalt-river')).toEqual({
      matches: true,
      needsRehash: false,
    });
    expect((await hasher.verify(stored, 'lantern-cobalt-rivet')).matches).toBe(false);
  });

  it('fails a missing hash after doing the same work', async () => {
    expect(await hasher.verify(null, 'lantern-cobalt-river')).toEqual({
      matches: false,
      needsRehash: false,
    });
  });

  it('asks for a rehash when the parameters change', async () => {
    const old = await createPasswordHasher({ memoryKib: 19_456, timeCost: 3 }).hash(
      'lantern-cobalt-river',
    );

    expect(await hasher.verify(old, 'lantern-cobalt-river')).toEqual({
      matches: true,
      needsRehash: true,
    });
  });

  it('matches a password typed in another Unicode form', async () => {
    const stored = await hasher.hash('café-au-lait-2030');

    expect((await hasher.verify(stored, 'cafe\u0301-au-lait-2030')).matches).toBe(true);
  });
});

describe('throttle keys', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:bbbb:cccc:dddd:eeee', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
  ])('groups %s as %s', (address, key) => {
    expect(networkKey(address)).toBe(key);
  });

  it('folds email case and surrounding space', () => {
    expect(accountKey('  Ada@Example.COM ')).toBe('ada@example.com');
  });
});

describe('recovery codes', () => {
  it('accepts lower case, spaces and missing dashes', () => {
    expect(normalizeRecoveryCode('abcd efgh jkmn pqrs')).toBe('ABCD-EFGH-JKMN-PQRS');
    expect(normalizeRecoveryCode('ABCDEFGHJKMNPQRS')).toBe('ABCD-EFGH-JKMN-PQRS');
  });

  it('rejects letters outside the alphabet and wrong lengths', () => {
    expect(normalizeRecoveryCode('ABCD-EFGH-JKMN-PQRU')).toBeNull();
    expect(normalizeRecoveryCode('ABCD-EFGH-JKMN')).toBeNull();
  });
});

describe('grants version', () => {
  let database: TestDatabase;
  let owner: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.ownerUrl, createLogger('silent'));
    owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
  });

  afterAll(async () => {
    await owner.end();
    await database.drop();
  });

  it('rises when a grant is added or removed', async () => {
    const entity = await owner.query<{ id: string }>(
      `INSERT INTO entities (type, code, name) VALUES ('organization', 'ORG', 'Org') RETURNING id`,
    );
    const user = await owner.query<{ id: string }>(
      `INSERT INTO users (email, display_name) VALUES ('gus@example.com', 'Gus') RETURNING id`,
    );
    const version = async () =>
      (
        await owner.query<{ grants_version: string }>(
          'SELECT grants_version FROM users WHERE id = $1',
          [user.rows[0]?.id],
        )
      ).rows[0]?.grants_version;

    const before = await version();
    await owner.query(
      `INSERT INTO role_grants (user_id, role, entity_id) VALUES ($1, 'reviewer', $2)`,
      [user.rows[0]?.id, entity.rows[0]?.id],
    );
    const afterGrant = await version();
    await owner.query('DELETE FROM role_grants WHERE user_id = $1', [user.rows[0]?.id]);
    const afterRevoke = await version();

    expect(before).toBe('1');
    expect(afterGrant).toBe('2');
    expect(afterRevoke).toBe('3');
  });
});

describe('sign-in throttle in the database', () => {
  let database: TestDatabase;
  let owner: pg.Client;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.ownerUrl, createLogger('silent'));
    owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    handle = openDatabase({
      url: database.appUrl,
      poolMax: 2,
      statementTimeoutMs: 10_000,
      applicationName: 'peytonix-test',
      logger: createLogger('silent'),
    });
  });

  afterAll(async () => {
    await handle.close();
    await owner.end();
    await database.drop();
  });

  it('doubles each consecutive lock', async () => {
    const rule = {
      freeFailures: 100,
      maxDelaySeconds: 1,
      lockAfter: 2,
      lockSeconds: 1,
      maxLockSeconds: 4,
      windowSeconds: 600,
    };
    const attempt = () => beginAttempt(handle.db, 'account', 'lock@example.com', rule);

    expect(await attempt()).toMatchObject({ allowed: true, locked: false });
    expect(await attempt()).toMatchObject({ allowed: true, locked: true });
    expect((await attempt()).retryAfterSeconds).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await attempt()).toMatchObject({ allowed: true, locked: false });
    expect(await attempt()).toMatchObject({ allowed: true, locked: true });

    const refused = await attempt();
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBe(2);
  });

  it('removes stale throttles and expired challenges only', async () => {
    const user = await owner.query<{ id: string }>(
      `INSERT INTO users (email, display_name) VALUES ('kim@example.com', 'Kim') RETURNING id`,
    );
    const userId = user.rows[0]?.id;
    await owner.query(
      `INSERT INTO login_throttles (scope, key, failures, last_attempt_at) VALUES
         ('account', 'stale@example.com', 3, now() - interval '2 days'),
         ('account', 'fresh@example.com', 3, now())`,
    );
    await owner.query(
      `INSERT INTO mfa_challenges (user_id, token_sha256, created_at, expires_at) VALUES
         ($1, decode(repeat('aa', 32), 'hex'), now() - interval '3 hours', now() - interval '2 hours'),
         ($1, decode(repeat('bb', 32), 'hex'), now(), now() + interval '5 minutes')`,
      [userId],
    );

    const removed = await removeStaleSignInState(handle.db);

    expect(removed).toMatchObject({ throttles: 1, mfaChallenges: 1 });
    const keys = await owner.query<{ key: string }>('SELECT key FROM login_throttles ORDER BY key');
    expect(keys.rows.map((row) => row.key)).toContain('fresh@example.com');
    expect(keys.rows.map((row) => row.key)).not.toContain('stale@example.com');
    const challenges = await owner.query('SELECT 1 FROM mfa_challenges');
    expect(challenges.rowCount).toBe(1);
  });
});
