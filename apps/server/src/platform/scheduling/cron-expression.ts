import { CronExpressionParser } from 'cron-parser';

/**
 * Five-field cron expressions (minute, hour, day of month, month, day of
 * week), evaluated in UTC by cron-parser. Fields may use digits, `*`,
 * lists, ranges and steps. Month and weekday names and the `L`, `#` and
 * `H` extensions are not accepted, so an expression means the same in any
 * standard cron. As in standard cron, a day of month and a day of week that
 * are both restricted match when either matches.
 */

const CRON_FIELD = /^[\d*/,-]+$/;

/** Return why `expression` is not a usable cron expression, or null when it is one. */
export function cronExpressionProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 || !fields.every((field) => CRON_FIELD.test(field))) {
    return 'expected a five-field cron expression such as "0 6 * * 1"';
  }
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC' }).next();
    return null;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `is not a valid cron expression (${reason})`;
  }
}

/**
 * Find the latest time at or before `until` when `expression` fires, and
 * return it when it is later than `after`, else null. However many fires
 * fell between the two, only the latest is returned.
 */
export function latestFireTime(
  expression: string,
  window: { after: Date; until: Date },
): Date | null {
  // prev() returns the latest fire strictly before currentDate, and fires
  // fall on whole minutes, so one millisecond later includes `until` itself.
  const parsed = CronExpressionParser.parse(expression, {
    tz: 'UTC',
    currentDate: new Date(window.until.getTime() + 1),
  });
  const fire = parsed.prev().toDate();
  return fire.getTime() > window.after.getTime() ? fire : null;
}
