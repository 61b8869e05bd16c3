import { AppError } from '../http/app-error.ts';

/** A keyset position: a row's time in UTC with microseconds, and its id. */
export interface KeysetPosition {
  at: string;
  id: string;
}

/** A cursor's time, as queries write it with to_char(... 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'). */
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True when `text` has the cursor time format and names a real instant
 * from year 1 on. Date.parse rolls over impossible dates such as February
 * 31 or 24:00, which PostgreSQL rejects, so the text must survive a round
 * trip through Date unchanged apart from the microseconds.
 */
function isCursorTime(text: string): boolean {
  if (!CURSOR_TIME.test(text)) return false;
  const milliseconds = Date.parse(text);
  if (Number.isNaN(milliseconds)) return false;
  const roundTrip = new Date(milliseconds).toISOString();
  return roundTrip.slice(0, 23) === text.slice(0, 23) && !text.startsWith('0000');
}

/** SQL text of a timestamptz column as a cursor time, so a cursor resumes exactly after its row. */
export const cursorTimeSql = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Encode the position of a page's last row as an opaque cursor. */
export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

/** Decode a cursor from encodeCursor, or raise a 400 that asks the client to pass it unchanged. */
export function decodeCursor(cursor: string): KeysetPosition {
  const invalid = () =>
    new AppError('VALIDATION_FAILED', {
      detail: `The cursor ${JSON.stringify(cursor.slice(0, 40))} is invalid. Pass the next value of the previous page unchanged.`,
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'string' ||
    typeof parsed[1] !== 'string' ||
    !isCursorTime(parsed[0]) ||
    !UUID.test(parsed[1])
  ) {
    throw invalid();
  }
  return { at: parsed[0], id: parsed[1] };
}
