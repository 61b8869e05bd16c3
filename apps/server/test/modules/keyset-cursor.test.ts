import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/platform/db/keyset-cursor.ts';
import { isAppError } from '../../src/platform/http/app-error.ts';

const ID = '5b0f2f4e-8a51-4a9e-9d43-3f7c8e2b9a10';

function forged(at: string, id = ID): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function codeOf(cursor: string): string {
  try {
    decodeCursor(cursor);
    return 'accepted';
  } catch (error) {
    return isAppError(error) ? error.code : 'other error';
  }
}

describe('keyset cursor', () => {
  it('round-trips a position', () => {
    const position = { at: '2026-12-05T10:20:30.123456Z', id: ID };

    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    ['February 31', '2026-02-31T00:00:00.000000Z'],
    ['April 31', '2026-04-31T00:00:00.000000Z'],
    ['hour 24', '2026-01-01T24:00:00.000000Z'],
    ['year 0', '0000-01-01T00:00:00.000000Z'],
    ['minute 60', '2026-01-01T00:60:00.000000Z'],
    ['no microseconds', '2026-01-01T00:00:00.000Z'],
  ])('rejects %s', (_case, at) => {
    expect(codeOf(forged(at))).toBe('VALIDATION_FAILED');
  });

  it('rejects an id that is no UUID', () => {
    expect(codeOf(forged('2026-01-01T00:00:00.000000Z', 'x'))).toBe('VALIDATION_FAILED');
  });

  it('rejects text that is no cursor', () => {
    expect(codeOf('not base64 json')).toBe('VALIDATION_FAILED');
  });
});
