// The report as a person sees it: opened in headless Debian Chromium (test/helpers/chromium.ts), which fails on any
// console error, page error or network request other than the report file itself.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeReport } from '../src/report/write.ts';
import { NEEDS_CHROMIUM, openInChromium } from './helpers/chromium.ts';
import { smallInput } from './report-fixture.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rlmf-report-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('report.html renders in Chromium with no console error and no network request', {
  skip: NEEDS_CHROMIUM,
}, async () => {
  const input = smallInput();
  const { html } = writeReport(tmp, input);
  await openInChromium(html, async (page) => {
    // every strategy is in the metrics table, and the charts are inline SVG
    const rows = await page.locator('table tbody tr').count();
    assert.ok(rows >= input.runs.length, `metrics rows: ${rows}`);
    for (const r of input.runs) assert.ok((await page.getByText(r.name).count()) > 0, r.name);
    const svgs = await page.locator('svg').count();
    assert.ok(svgs >= 2 + input.runs.length, `svg charts: ${svgs}`);
    mkdirSync(join(import.meta.dirname, '..', 'test-output'), { recursive: true });
    await page.screenshot({ path: join(import.meta.dirname, '..', 'test-output', 'report.png'), fullPage: true });
  });
});
