// npm run bench: runs every benchmark and writes docs/BENCHMARKS.md with the machine it ran on.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/util/fs.ts';
import { bench as backtestBench } from './backtest.ts';
import { bench as indicatorBench } from './indicators.ts';
import { bench as lmBench } from './lm.ts';
import type { BenchResult } from './types.ts';

function demoQuick(): BenchResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'rlmf-bench-demo-'));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/rlmf.js', 'demo', '--quick', '--out', dir], { encoding: 'utf8' });
  const sec = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`demo --quick failed: ${r.stderr}`);
  return [
    { name: '`npx rlmf demo --quick` (wall clock, process start included)', value: sec, unit: 's', target: '<= 60' },
  ];
}

const fmt = (v: number) => (v >= 1000 ? v.toExponential(2) : v.toFixed(v >= 10 ? 1 : 3));

const results: BenchResult[] = [];
for (const [name, fn] of [
  ['backtest', backtestBench],
  ['indicators', indicatorBench],
  ['lm', lmBench],
  ['demo', async () => demoQuick()],
] as const) {
  process.stderr.write(`bench: ${name}...\n`);
  const r = await fn();
  for (const x of r)
    process.stderr.write(`  ${x.name}: ${fmt(x.value)} ${x.unit}${x.target ? ` (target ${x.target})` : ''}\n`);
  results.push(...r);
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.versions.node}, ${process.platform}-${process.arch}`;
const lines = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (bench/run.ts). Best of several runs after a warm-up; the machine is shared, so',
  'compare ratios measured in the same run rather than absolute numbers across runs.',
  '',
  `Machine: ${machine}`,
  `Date: ${new Date().toISOString().slice(0, 10)}`,
  '',
  '| benchmark | result | target | note |',
  '|---|---|---|---|',
  ...results.map((r) => `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.target ?? ''} | ${r.note ?? ''} |`),
  '',
];
writeFileAtomic('docs/BENCHMARKS.md', lines.join('\n'));
process.stderr.write('bench: wrote docs/BENCHMARKS.md\n');
