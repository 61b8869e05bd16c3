import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Screenshots of each checked screen, for people to look at; git ignores the folder. */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** axe-core impact levels that fail a test; minor and moderate findings are only reported. */
const BLOCKING_IMPACTS = new Set(['serious', 'critical']);

/**
 * Save a full-page screenshot as ARTIFACTS_DIR/<name>.png, then run axe-core
 * on the page and fail on any serious or critical violation, listing each
 * rule with the elements it matched. The screen is checked at rest: the
 * pointer moves off the page, because a click leaves it on the element it
 * clicked and axe-core would measure hover colors, and data loaders must be gone.
 */
export async function checkScreen(page: Page, name: string): Promise<void> {
  await page.mouse.move(0, 0);
  // Data loaders carry an aria-label "Loading …"; status spinners are aria-hidden and may stay.
  await page.locator('[aria-label^="Loading"]').first().waitFor({ state: 'hidden' });
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });

  const results = await new AxeBuilder({ page }).analyze();
  const blocking = results.violations
    .filter((violation) => BLOCKING_IMPACTS.has(violation.impact ?? ''))
    .map((violation) => ({
      rule: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
  expect(blocking, `accessibility violations on the ${name} screen`).toEqual([]);
}
