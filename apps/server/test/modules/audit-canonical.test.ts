import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEvent } from '../../src/modules/audit-trail/audit-trail.service.ts';
import type { AuditRecord } from '../../src/modules/audit-trail/chain/audit-record.ts';
import { canonicalEventText } from '../../src/modules/audit-trail/chain/canonical-event.ts';
import { sealPendingEvents } from '../../src/modules/audit-trail/sealing/seal-pending.ts';
import { verifyDatabase } from '../../src/modules/audit-trail/verification/verify-database.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { canonicalize } from '../../src/platform/json/jcs.ts';
import { readEd25519PublicKey } from '../../src/platform/keys/signing-key.ts';
import { newSigningKey, openAuditDatabase } from '../support/audit-fixtures.ts';

describe('RFC 8785 canonical JSON', () => {
  it('sorts members by UTF-16 code units', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };

    const text = canonicalize(value);
    // JSON.parse would reorder the member "1" first, so read positions in the text.
    const order = Object.keys(value).sort(
      (a, b) => text.indexOf(JSON.stringify(a)) - text.indexOf(JSON.stringify(b)),
    );

    expect(order).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    expect(text.startsWith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"')).toBe(true);
  });

  it('writes numbers in their shortest ECMAScript form', () => {
    expect(canonicalize([1e21, 1e-7, -0, 0.1 + 0.2, 333333333.3333333, 4.5, 100])).toBe(
      '[1e+21,1e-7,0,0.30000000000000004,333333333.3333333,4.5,100]',
    );
  });

  it('escapes only quote, backslash and control characters', () => {
    expect(canonicalize('\u000f\n"\\\u2028é€😀/')).toBe('"\\u000f\\n\\"\\\\\u2028é€😀/"');
  });

  it('refuses values that have no canonical form', () => {
    expect(() => canonicalize(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalize(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => canonicalize('\ud800')).toThrow(TypeError);
    expect(() => canonicalize(new Date(0))).toThrow(TypeError);
    expect(() => canonicalize(10n)).toThrow(TypeError);
  });

  it('leaves out undefined members and nests without whitespace', () => {
    expect(canonicalize({ b: [true, null, { d: 1, c: undefined }], a: 'x' })).toBe(
      '{"a":"x","b":[true,null,{"d":1}]}',
    );
  });
});

const nullableText = fc.option(fc.string({ unit: 'grapheme' }), { nil: null });
const jsonValue = fc.jsonValue({ maxDepth: 3 });

const recordArbitrary: fc.Arbitrary<AuditRecord> = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  occurredAt: fc.constant('2026-12-04T20:25:56.123456Z'),
  actorType: fc.constantFrom('user', 'system', 'scim', 'ai', 'anonymous'),
  actorId: fc.option(fc.uuid(), { nil: null }),
  onBehalfOf: fc.option(fc.uuid(), { nil: null }),
  channel: fc.constantFrom('api', 'cli', 'worker'),
  action: fc.constantFrom('auth.login_failed', 'entity.created'),
  outcome: fc.constantFrom('success', 'denied', 'failure'),
  reasonCode: nullableText,
  targetType: nullableText,
  targetId: nullableText,
  entityId: fc.option(fc.uuid(), { nil: null }),
  requestId: nullableText,
  correlationId: nullableText,
  ipAddress: fc.option(fc.ipV4(), { nil: null }),
  userAgent: nullableText,
  details: fc.dictionary(fc.string(), jsonValue),
});

describe('canonical event text', () => {
  it('equals the canonical record when details are canonical', () => {
    fc.assert(
      fc.property(recordArbitrary, (record) => {
        expect(canonicalEventText(record, canonicalize(record.details))).toBe(canonicalize(record));
      }),
    );
  });
});

describe('hashes computed by the database', () => {
  let handle: DatabaseHandle;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ handle, close } = await openAuditDatabase());
  });
  afterAll(async () => {
    await close();
  });

  it('match recomputed hashes for awkward input', async () => {
    const key = await newSigningKey();
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const detailValue = fc.oneof(
      text,
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.date({ noInvalidDate: true }),
      fc.array(text, { maxLength: 3 }),
    );

    await fc.assert(
      fc.asyncProperty(
        fc.record({
          reasonCode: fc.option(text, { nil: undefined }),
          requestId: text,
          userAgent: fc.string({ unit: 'binary', maxLength: 1100 }),
          ipAddress: fc.oneof(fc.ipV4(), fc.ipV6(), text),
          details: fc.dictionary(text, detailValue, { maxKeys: 6 }),
        }),
        async (input) => {
          await handle.db.transaction().execute((tx) =>
            appendAuditEvent(tx, {
              actor: {
                type: 'ai',
                onBehalfOf: '00000000-0000-4000-8000-000000000001',
                channel: 'worker',
              },
              action: 'ai.model_invoked',
              outcome: 'success',
              ...(input.reasonCode === undefined ? {} : { reasonCode: input.reasonCode }),
              context: {
                requestId: input.requestId,
                userAgent: input.userAgent,
                ipAddress: input.ipAddress,
              },
              details: input.details,
            }),
          );
        },
      ),
      { numRuns: 60 },
    );

    await sealPendingEvents(handle.db);
    const report = await verifyDatabase(handle.db, readEd25519PublicKey(key.publicKeyPem));
    expect(report).toMatchObject({ intact: true, events: 60 });
  });
});
