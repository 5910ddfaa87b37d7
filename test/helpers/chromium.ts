// Test helper: open a report file in headless Debian Chromium (playwright-core, never a downloaded browser), fail on
// any console error, page error or network request other than the file itself, then hand the page to `check`.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** The `skip` of a test that needs Chromium: false when it is installed, else the reason. */
export const NEEDS_CHROMIUM =
  !existsSync(CHROMIUM) && `needs Debian chromium at ${CHROMIUM} (apt-get install chromium)`;

export async function openInChromium(file: string, check: (page: Page) => Promise<void>): Promise<void> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const url = pathToFileURL(file).href;
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url) problems.push(`network request: ${r.url()}`);
    });
    await page.goto(url, { waitUntil: 'load' });
    assert.deepEqual(problems, []);
    await check(page);
  } finally {
    await browser.close();
  }
}
