import { describe, expect, it } from 'vitest';
import { describeScanRetry } from '../../src/evidence/scan-retry.ts';
import { formatDateTime } from '../../src/shared/format.ts';

const NOW = new Date('2026-03-02T10:00:00.000Z');

describe('describeScanRetry', () => {
  it('says queued when the server gives no time', () => {
    expect(describeScanRetry(null, NOW)).toBe(
      "Retry queued for the scan job's next pass (it runs every minute).",
    );
  });

  it('says due now for a time in the past', () => {
    const text = describeScanRetry('2026-03-02T09:15:00.000Z', NOW);

    expect(text).toBe("Retry due now: queued for the scan job's next pass (it runs every minute).");
  });

  it('never names a past time', () => {
    const past = '2026-03-02T09:15:00.000Z';

    expect(describeScanRetry(past, NOW)).not.toContain(formatDateTime(past));
  });

  it('says due now for exactly now', () => {
    expect(describeScanRetry(NOW.toISOString(), NOW)).toMatch(/^Retry due now/);
  });

  it('names a future time and the wait', () => {
    const next = '2026-03-02T10:04:00.000Z';

    expect(describeScanRetry(next, NOW)).toBe(
      `Next retry at ${formatDateTime(next)}, in about 4 minutes.`,
    );
  });

  it('rounds a wait under a minute up', () => {
    expect(describeScanRetry('2026-03-02T10:00:20.000Z', NOW)).toMatch(/in about a minute\.$/);
  });

  it('treats an unreadable time as due', () => {
    expect(describeScanRetry('not a time', NOW)).toMatch(/^Retry due now/);
  });
});
