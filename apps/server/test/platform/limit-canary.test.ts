import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClamdScanner } from '../../src/platform/scanning/clamd-client.ts';
import {
  checkLimitReporting,
  limitCanary,
  requireLimitReporting,
} from '../../src/platform/scanning/limit-canary.ts';
import { clamdInstalled, EICAR, startTestClamd, type TestClamd } from '../support/clamd.ts';

const runClamdTests = clamdInstalled || process.env.CI === 'true';

describe('limit canary archive', () => {
  it('starts with a ZIP local file header', () => {
    expect(limitCanary().subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
  });

  it('stays small', () => {
    expect(limitCanary().length).toBeLessThan(16 * 1024);
  });
});

describe.skipIf(!runClamdTests)('clamd limit reporting', () => {
  let reporting: TestClamd;
  let silent: TestClamd;

  beforeAll(async () => {
    if (!clamdInstalled) throw new Error('clamd is not installed; .ci/run installs clamav-daemon');
    [reporting, silent] = await Promise.all([
      startTestClamd(),
      startTestClamd({ alertExceedsMax: false }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await reporting?.close();
    await silent?.close();
  });

  const scannerOf = (clamd: TestClamd) =>
    createClamdScanner({ address: clamd.address, timeoutMs: 10_000 });
  const clean = () => Readable.from([Buffer.from('vendor,amount\nV1,10.00\n')]);

  it('finds AlertExceedsMax on', async () => {
    expect(await checkLimitReporting(scannerOf(reporting))).toBe('reported');
  });

  it('finds AlertExceedsMax off', async () => {
    expect(await checkLimitReporting(scannerOf(silent))).toBe('silent');
  });

  it('passes clean verdicts of a reporting clamd', async () => {
    const scanner = requireLimitReporting(scannerOf(reporting));

    expect(await scanner.scan(clean())).toEqual({ kind: 'clean' });
  });

  it('turns clean verdicts of a silent clamd into errors', async () => {
    let warnings = 0;
    const scanner = requireLimitReporting(scannerOf(silent), { onSilent: () => (warnings += 1) });

    const verdict = await scanner.scan(clean());

    expect(verdict).toMatchObject({
      kind: 'error',
      detail: expect.stringMatching(/AlertExceedsMax/),
    });
    expect(warnings).toBe(1);
  });

  it('keeps matches of a silent clamd', async () => {
    const scanner = requireLimitReporting(scannerOf(silent));

    expect(await scanner.scan(Readable.from([EICAR]))).toMatchObject({ kind: 'infected' });
  });

  it('checks again while clamd stays silent', async () => {
    let clock = 0;
    let warnings = 0;
    const scanner = requireLimitReporting(scannerOf(silent), {
      recheckMs: 1_000,
      now: () => clock,
      onSilent: () => (warnings += 1),
    });

    await scanner.scan(clean());
    clock = 5_000;
    await scanner.scan(clean());

    expect(warnings).toBe(2);
  });
});
