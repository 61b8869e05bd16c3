import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountKey, networkKey } from '../../src/modules/identity/login/login-throttle.ts';
import { normalizeRecoveryCode } from '../../src/modules/identity/mfa/recovery-codes.ts';
import { createPasswordHasher } from '../../src/modules/identity/passwords/password-hasher.ts';
import { findPasswordProblem } from '../../src/modules/identity/passwords/password-policy.ts';
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
