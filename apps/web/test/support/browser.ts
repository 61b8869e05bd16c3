import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { describe } from 'vitest';

/** Debian's chromium package; `.ci/run` installs it when it is missing. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const chromiumInstalled = existsSync(CHROMIUM_PATH);

/** Without Chromium the browser tests skip, except under CI=true, where they fail. */
const skipBrowserTests = !chromiumInstalled && process.env.CI !== 'true';

if (skipBrowserTests) {
  process.stderr.write(
    `NOTICE: skipping the browser tests: ${CHROMIUM_PATH} is not installed (apt-get install chromium)\n`,
  );
}

/** `describe` for tests that drive Chromium; see skipBrowserTests. */
export const describeInBrowser = describe.skipIf(skipBrowserTests);

/** Launch headless Chromium from CHROMIUM_PATH; playwright-core downloads no browser of its own. */
export async function launchBrowser(): Promise<Browser> {
  if (!chromiumInstalled) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}. Install Debian's chromium package, as .ci/run does.`,
    );
  }
  return await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
}
