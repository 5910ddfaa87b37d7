// The report as a person sees it: opened in headless Debian Chromium (playwright-core, never a downloaded browser).
// Fails on any console error, page error or network request other than the report file itself.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { writeReport } from '../src/report/write.ts';
import { smallInput } from './report-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-report-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('report.html renders in Chromium with no console error and no network request', {
  skip: !existsSync(CHROMIUM) && `needs Debian chromium at ${CHROMIUM} (apt-get install chromium)`,
}, async () => {
  const input = smallInput();
  const { html } = writeReport(tmp, input);
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
    const url = pathToFileURL(html).href;
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url) problems.push(`network request: ${r.url()}`);
    });
    await page.goto(url, { waitUntil: 'load' });
    assert.deepEqual(problems, []);
    // every strategy is in the metrics table, and the charts are inline SVG
    const rows = await page.locator('table tbody tr').count();
    assert.ok(rows >= input.runs.length, `metrics rows: ${rows}`);
    for (const r of input.runs) assert.ok((await page.getByText(r.name).count()) > 0, r.name);
    const svgs = await page.locator('svg').count();
    assert.ok(svgs >= 2 + input.runs.length, `svg charts: ${svgs}`);
    mkdirSync(join(import.meta.dirname, '..', 'test-output'), { recursive: true });
    await page.screenshot({ path: join(import.meta.dirname, '..', 'test-output', 'report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
