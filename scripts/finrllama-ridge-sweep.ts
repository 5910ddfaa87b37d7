// The `ridge` yardstick over many seeds without training anything (docs/papers/finrllama.md, "What the feedback can
// teach"): per seed, the synthetic market of a preset (plus market fields), the quick pipeline's split and validation
// slice, the word-list teacher and the yardstick on the held-out period (IC, contest Sharpe).
//   node scripts/finrllama-ridge-sweep.ts --preset quick --seeds 0-11 [--market '{"days":1008}'] [--train-share 0.75]
import { parseArgs } from 'node:util';
import { parseChoiceOption } from '../src/cli/common.ts';
import { generateMarket, QUICK_SYNTH_CONFIG } from '../src/data/synth/index.ts';
import { evaluateScores } from '../src/papers/finrllama/evaluate.ts';
import { ridgeYardstick } from '../src/papers/finrllama/ridge.ts';
import { defaultSplit, FINRLLAMA_PRESETS, PRESET_MARKET, validationSplit } from '../src/papers/finrllama/run.ts';
import { decisionDates, scoreNews, teacherModel } from '../src/papers/finrllama/score.ts';

const { values: a } = parseArgs({
  options: {
    preset: { type: 'string', default: 'quick' },
    seeds: { type: 'string', default: '0-11' },
    market: { type: 'string', default: '{}' },
    'train-share': { type: 'string', default: '0.7' },
  },
});
const [lo, hi] = (a.seeds as string).split('-').map(Number);
const preset = parseChoiceOption('preset', a.preset as string, FINRLLAMA_PRESETS) ?? 'quick';
const market = { ...PRESET_MARKET[preset], ...JSON.parse(a.market as string) };
const prompt = { variant: 'compact' as const, signalStrength: 10 };
const o = { prompt, lookahead: 3, basis: 'excess' as const };
const diffs: number[] = [];
let both = 0;
for (let seed = lo; seed <= (hi ?? lo); seed++) {
  const ds = generateMarket({ ...QUICK_SYNTH_CONFIG, ...market, seed }).dataset;
  const split = defaultSplit(ds, Number(a['train-share']), 3);
  const test = decisionDates(ds, split.testFrom, split.testTo);
  const dates = { ...validationSplit(decisionDates(ds, split.trainFrom, split.trainTo)), test };
  const ridge = ridgeYardstick(ds, dates, { ...o, seed });
  // the teacher variant exactly as a run scores it
  const teacher = await scoreNews(teacherModel({ signalStrength: 10 }), ds, test, { prompt, seed });
  const ev = (recs: typeof teacher) =>
    evaluateScores(ds, recs, { from: split.testFrom, to: split.testTo, signalStrength: 10, lookahead: 3 });
  const t = ev(teacher);
  const r = ev(ridge.records);
  const win = (r.ic ?? 0) > (t.ic ?? 0) && (r.sharpe_ratio ?? 0) > (t.sharpe_ratio ?? 0);
  both += win ? 1 : 0;
  diffs.push((r.ic ?? 0) - (t.ic ?? 0));
  const f = (x: number | null, d: number) => (x === null ? 'n/a' : x.toFixed(d));
  console.log(
    `seed ${seed}: λ ${ridge.fit.lambda}, held-out teacher IC ${f(t.ic, 3)} Sharpe ${f(t.sharpe_ratio, 2)}, ` +
      `ridge IC ${f(r.ic, 3)} Sharpe ${f(r.sharpe_ratio, 2)}${win ? ' (beats the teacher on both)' : ''}`,
  );
}
const mean = diffs.reduce((s, x) => s + x, 0) / diffs.length;
const se = Math.sqrt(diffs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, diffs.length - 1) / diffs.length);
console.log(`ridge − teacher IC ${mean.toFixed(3)} ± ${se.toFixed(3)} (s.e.); both on ${both} of ${diffs.length}`);
