/** Calendar dates of the demo data, as "YYYY-MM-DD" strings in UTC. */

const DAY_MS = 24 * 60 * 60 * 1000;

/** The fiscal year every synthetic ledger covers. */
export const DEMO_YEAR = 2024;
export const YEAR_START = '2024-01-01';
export const YEAR_END = '2024-12-31';

/**
 * Public holidays of the synthetic holiday calendar: the US federal
 * holidays of 2024. All of them fall on weekdays.
 */
export const HOLIDAYS: readonly (readonly [date: string, name: string])[] = [
  ['2024-01-01', "New Year's Day"],
  ['2024-01-15', 'Birthday of Martin Luther King, Jr.'],
  ['2024-02-19', "Washington's Birthday"],
  ['2024-05-27', 'Memorial Day'],
  ['2024-06-19', 'Juneteenth National Independence Day'],
  ['2024-07-04', 'Independence Day'],
  ['2024-09-02', 'Labor Day'],
  ['2024-10-14', 'Columbus Day'],
  ['2024-11-11', 'Veterans Day'],
  ['2024-11-28', 'Thanksgiving Day'],
  ['2024-12-25', 'Christmas Day'],
];

const HOLIDAY_DATES = new Set(HOLIDAYS.map(([date]) => date));

export function toDayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

export function fromDayNumber(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return fromDayNumber(toDayNumber(date) + days);
}

/** ISO weekday: 1 is Monday, 7 is Sunday, as DuckDB's isodow(). */
export function isoWeekday(date: string): number {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

export function isWeekend(date: string): boolean {
  return isoWeekday(date) >= 6;
}

export function isHoliday(date: string): boolean {
  return HOLIDAY_DATES.has(date);
}

export function isBusinessDay(date: string): boolean {
  return !isWeekend(date) && !isHoliday(date);
}

/** List every date from `first` to `last`, both included. */
export function datesBetween(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let day = toDayNumber(first); day <= toDayNumber(last); day++) {
    dates.push(fromDayNumber(day));
  }
  return dates;
}

/** List the business days from `first` to `last`, leaving out weekends and listed holidays. */
export function businessDaysBetween(first: string, last: string): string[] {
  return datesBetween(first, last).filter(isBusinessDay);
}

/** Return the first business day on or after `date`. */
export function nextBusinessDay(date: string): string {
  let candidate = date;
  while (!isBusinessDay(candidate)) candidate = addDays(candidate, 1);
  return candidate;
}
