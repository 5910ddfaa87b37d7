// FLAG-TRADER Table 1, Buy & Hold rows, reproduced through the command line exactly as a user would run it:
// import INVESTOR-BENCH's raw JSON, then backtest buy-and-hold with the investorbench preset.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const root = join(import.meta.dirname, '..');
const raw = join(root, '..', 'shared', 'data', 'investorbench', 'raw_json');
const skip = !existsSync(raw) && 'needs ../shared/data/investorbench (not part of the repo)';
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-ib-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function rlmf(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'rlmf.js'), ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `rlmf ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

// CR %, SR, AV %, MDD % as printed in FLAG-TRADER Table 1 (Buy & Hold)
const TABLE1: Record<string, [number, number, number, number]> = {
  MSFT: [15.34, 1.039, 24.98, 9.428],
  JNJ: [13.895, 1.343, 17.5, 9.847],
  UVV: [36.583, 2.112, 29.299, 15.406],
  HON: [33.256, 2.347, 23.967, 9.195],
};

for (const [ticker, [cr, sr, av, mdd]] of Object.entries(TABLE1)) {
  test(`FLAG-TRADER Table 1 buy-and-hold ${ticker}: CR ${cr} SR ${sr} AV ${av} MDD ${mdd}`, { skip }, () => {
    const out = join(tmp, ticker);
    rlmf(
      'data',
      'import',
      '--format',
      'investorbench',
      '--in',
      join(raw, `${ticker.toLowerCase()}.json`),
      '--out',
      out,
    );
    const res = JSON.parse(
      rlmf(
        'backtest',
        '--data',
        out,
        '--strategy',
        'buy-and-hold',
        '--from',
        '2020-10-01',
        '--to',
        '2021-05-05',
        '--preset',
        'investorbench',
        '--json',
      ),
    );
    const m = res.metrics;
    const round3 = (x: number) => Math.round(x * 1000) / 1000;
    assert.equal(round3(m.cumulative_return * 100), cr);
    assert.equal(round3(m.sharpe_ratio), sr);
    assert.equal(round3(m.annual_volatility * 100), av);
    assert.equal(round3(m.max_drawdown * 100), mdd);
  });
}
