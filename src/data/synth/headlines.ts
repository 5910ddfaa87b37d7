// Headline templates per (event type, kind). Plain headlines use unambiguous sentiment words that agree with the
// impact; the misleading kinds are written so that counting sentiment words gives the wrong answer, while a cue
// ("but", "as expected", "may", "denies", an off-topic subject) tells a learner what really matters.
// Placeholders: {co} company, {tk} ticker, {q} quarter, {year}, {pct}, {n}, {span}, {dealValue}, {product}, {issue}, {analyst},
// {acquirer}, {rival}, {city}, {month}, {x} (a macro value), {bp}, {cash}, {date}, {ratio}.
import type { Rng } from '../../util/rng.ts';
import {
  ALL_COMPANIES,
  ANALYSTS,
  CITIES,
  type Company,
  ISSUES,
  MONTHS,
  PRIVATE_EQUITY,
  PRODUCTS,
} from './companies.ts';

/** Keys are `type/kind`, with a `+`/`-` suffix where one type has both signs (m-and-a, macro releases). */
export const TEMPLATES: Record<string, readonly string[]> = {
  // ---- plain: the words say what happens
  'earnings-beat/plain': [
    '{co} beats {q} estimates as revenue jumps {pct}%',
    '{co} ({tk}) tops Wall Street forecasts with record quarterly profit',
    '{tk} earnings beat: strong demand lifts {q} sales',
    '{co} posts strong {q} results, beats on earnings and revenue',
    '{co} shares jump after {q} profit tops estimates',
  ],
  'earnings-miss/plain': [
    '{co} misses {q} estimates as sales slump',
    '{co} ({tk}) reports weak {q} results as profit falls',
    '{tk} earnings miss: margins drop on rising costs',
    '{co} posts {q} loss, misses Wall Street forecasts',
    '{co} shares fall after disappointing {q} earnings miss',
  ],
  'guidance-raise/plain': [
    '{co} raises full-year outlook on strong orders',
    '{co} ({tk}) lifts {year} guidance, sees record revenue',
    '{tk} boosts annual forecast as demand surges',
    '{co} raises revenue guidance for {year} after strong quarter',
  ],
  'guidance-cut/plain': [
    '{co} cuts full-year outlook, warns of weak demand',
    '{co} ({tk}) lowers {year} guidance as costs mount',
    '{tk} slashes annual forecast amid falling orders',
    '{co} cuts revenue guidance for {year} after weak quarter',
  ],
  'product-launch/plain': [
    '{co} launches {product}, early reviews strong',
    '{co} unveils next-generation {product} to strong demand',
    '{tk} launches {product} with record preorders',
    '{co} wins approval for new {product}',
  ],
  'lawsuit/plain': [
    '{co} hit with lawsuit over {issue}',
    'Regulators open probe into {co} over {issue}',
    '{co} ({tk}) sued by {rival} for patent infringement',
    '{co} faces class-action lawsuit alleging {issue}',
  ],
  'layoffs/plain': [
    '{co} announces layoffs of {n} workers as sales weaken',
    '{co} to cut {n} jobs in restructuring after weak year',
    '{tk} layoffs: {co} cuts {pct}% of workforce',
  ],
  'analyst-upgrade/plain': [
    '{analyst} upgrades {co} to buy, sees strong growth',
    '{co} upgraded to outperform at {analyst}',
    '{analyst} raises {tk} price target, bullish on margins',
  ],
  'analyst-downgrade/plain': [
    '{analyst} downgrades {co} to sell on weak outlook',
    '{co} downgraded to underperform at {analyst}',
    '{analyst} cuts {tk} price target, bearish on demand',
  ],
  'm-and-a/plain+': [
    '{co} agrees to be acquired by {acquirer} at a {pct}% premium',
    '{co} shares soar on buyout offer from {acquirer}',
    '{acquirer} to buy {co} for {dealValue}, a {pct}% premium',
  ],
  'm-and-a/plain-': [
    '{co} takeover talks collapse as {acquirer} walks away',
    'Regulators block {co} merger with {rival}; shares plunge',
    '{acquirer} drops bid for {co}, deal collapses',
  ],
  'macro/plain+': [
    'Consumer confidence jumps to {span}-month high, stocks rally',
    'Factory orders surge as economy strengthens',
    'Retail sales beat forecasts, stocks rally broadly',
  ],
  'macro/plain-': [
    'Recession fears grow as factory output slumps',
    'Retail sales miss forecasts as consumers pull back',
    'Consumer confidence falls to {span}-month low, stocks slump',
  ],
  'cpi/plain+': [
    'US inflation cools: consumer prices up {x}% in {month}, below forecasts',
    'Consumer prices rise just {x}% in {month}, inflation cools more than expected',
  ],
  'cpi/plain-': [
    'US consumer prices rise {x}% in {month}, hotter than expected',
    'Inflation runs hotter than forecast in {month} as prices climb {x}%, stocks slump',
  ],
  'jobs/plain+': [
    'Hiring strong as unemployment improves to {x}% in {month}',
    'Jobs report beats forecasts: unemployment rate improves to {x}%',
  ],
  'jobs/plain-': [
    'Unemployment rises to {x}% in weak {month} jobs report',
    'Jobs report misses forecasts as jobless rate climbs to {x}%',
  ],
  'fed-hike/plain-': [
    'Fed surprises with a {bp}bp hike, warns of more tightening',
    'Stocks slump as Fed hikes {bp}bp, more than expected',
  ],
  'fed-hold/plain-': ['Fed unexpectedly holds rates, dashing hopes; stocks slump'],
  'fed-hold/plain+': ['Fed unexpectedly holds rates steady, stocks rally'],
  'fed-cut/plain+': ['Fed surprises with a {bp}bp rate reduction, stocks rally', 'Stocks surge on surprise Fed easing'],

  // ---- mixed: the wording leans one way, the impact follows the guidance / the rating / the bigger case
  'guidance-cut/mixed': [
    '{co} beats {q} estimates with record revenue, but cuts full-year outlook',
    '{co} posts strong {q}, tops forecasts; guidance cut on softer orders',
    '{tk} beats on record profit, lowers {year} outlook',
  ],
  'guidance-raise/mixed': [
    '{co} misses {q} estimates as sales fall, but raises full-year outlook',
    '{tk} posts weak {q} and a loss, yet lifts {year} guidance',
    '{co} earnings miss on weak margins; outlook raised',
  ],
  'analyst-upgrade/mixed': [
    '{analyst} cuts {tk} price target on weak quarter but upgrades to buy',
    '{co} falls on weak sales; {analyst} upgrades anyway',
  ],
  'analyst-downgrade/mixed': [
    '{analyst} lifts {tk} price target after strong run, but downgrades to sell',
    '{co} hits record high on strong quarter; {analyst} downgrades',
  ],
  'lawsuit/mixed': [
    '{co} wins patent case and posts strong sales, but new class-action lawsuit looms',
    '{co} shares gain on record orders as regulators open wide {issue} probe',
  ],

  // ---- priced-in: strong words, old news
  'earnings-beat/priced-in': [
    '{co} beats {q} estimates, as widely expected',
    '{co} posts strong {q} results in line with whisper numbers',
    '{tk} tops forecasts, matching figures it preannounced last month',
  ],
  'earnings-miss/priced-in': [
    '{co} misses {q} estimates, as it warned last month',
    '{co} reports weak {q}, confirming its earlier profit warning',
  ],
  'guidance-raise/priced-in': ['{co} formally raises {year} guidance already announced at investor day'],
  'guidance-cut/priced-in': ['{co} cuts outlook, as flagged in its profit warning'],
  'product-launch/priced-in': ['{co} launches long-awaited {product}, as announced at its spring event'],
  'analyst-upgrade/priced-in': ['{analyst} upgrades {co} to buy, the latest in a wave of upgrades'],
  'analyst-downgrade/priced-in': ['{analyst} downgrades {co}, following peers that downgraded last week'],
  'lawsuit/priced-in': ['{co} lawsuit over {issue} proceeds to trial, as expected by analysts'],
  'layoffs/priced-in': ['{co} completes previously announced layoffs'],
  'm-and-a/priced-in': ['{co} deal with {acquirer} closes after shareholder approval'],
  'cpi/priced-in+': ['Inflation cools to {x}% in {month}, exactly as forecast'],
  'cpi/priced-in-': ['Inflation runs hotter in {month} at {x}%, matching forecasts'],
  'jobs/priced-in': ['Unemployment rate at {x}% in {month}, as expected', 'Jobless rate {x}% in {month}, in line'],
  'fed-hike/priced-in': ['Fed hikes {bp}bp, as widely expected'],
  'fed-hold/priced-in': ['Fed holds rates steady, as expected'],
  'fed-cut/priced-in': ['Fed cuts rates {bp}bp, as expected'],

  // ---- hedged: speculation, nothing confirmed
  'earnings-beat/hedged': ['{co} could beat {q} estimates, some analysts speculate'],
  'earnings-miss/hedged': ['{co} may miss {q} estimates, one blogger warns'],
  'guidance-cut/hedged': ['{co} might cut its outlook, unconfirmed report says'],
  'product-launch/hedged': ['{co} reportedly considering launch of {product}, sources say'],
  'lawsuit/hedged': ['{co} could face lawsuit over {issue}, a law firm says'],
  'layoffs/hedged': ['{co} may consider layoffs, according to an anonymous post'],
  'analyst-upgrade/hedged': ['{co} could see upgrades if margins improve, newsletter says'],
  'm-and-a/hedged': ['{co} rumoured to be exploring a sale that could fetch a premium, sources say'],
  'macro/hedged': [
    'Economists say inflation could cool later this year',
    'Strategists warn a recession may come next year',
    'Some traders speculate the Fed might pause soon',
  ],

  // ---- negated: the sentiment word is denied; the impact has the opposite sign of the word
  'layoffs/negated': ['{co} denies rumours of layoffs', '{co} says no layoffs planned despite industry cuts'],
  'earnings-miss/negated': [
    '{co} will not miss {q} targets, CFO says',
    '{co} CFO: no risk of an earnings miss this quarter',
  ],
  'lawsuit/negated': [
    'Court dismisses lawsuit against {co}',
    '{co} cleared as regulators end probe without charges',
    '{rival} drops lawsuit against {co}',
  ],
  'guidance-cut/negated': ['{co} rules out guidance cut, sees demand stable'],
  'analyst-downgrade/negated': ['{analyst} says fears of a {co} downgrade are overdone'],
  'earnings-beat/negated': ['{co} unlikely to beat {q} estimates, CFO concedes'],
  'product-launch/negated': ['{co} will not launch {product} this year after all'],
  'analyst-upgrade/negated': ['{analyst} removes {co} from its strong buy list'],

  // ---- irrelevant: nothing that matters, often with sentiment words
  'misc/irrelevant': [
    '{co} sponsors record-breaking charity run in {city}',
    '{co} cafeteria wins regional award for best chili',
    '{co} mascot falls off stage at company picnic, unhurt',
    '{co} softball team loses in weak finish to {city} league',
    '{co} named a top workplace for the fourth straight year',
    '{co} to hold annual shareholder meeting in {city}',
    '{co} repaints {city} office in a stronger shade of blue',
    '{co} CEO to speak at {city} industry conference',
  ],
  'dividend/irrelevant': ['{co} declares quarterly dividend of {cash} per share, ex-dividend {date}'],
  'split/irrelevant': ['{co} announces {ratio}-for-1 stock split effective {date}'],
};

/** Keys of the company-news templates a random (non-earnings, non-macro) event may use, by kind. */
export const COMPANY_NEWS_TYPES: Record<string, readonly string[]> = {
  plain: [
    'product-launch',
    'lawsuit',
    'layoffs',
    'analyst-upgrade',
    'analyst-downgrade',
    'm-and-a',
    'guidance-raise',
    'guidance-cut',
  ],
  mixed: ['analyst-upgrade', 'analyst-downgrade', 'lawsuit'],
  'priced-in': ['product-launch', 'analyst-upgrade', 'analyst-downgrade', 'lawsuit', 'layoffs', 'm-and-a'],
  hedged: ['earnings-beat', 'earnings-miss', 'guidance-cut', 'product-launch', 'lawsuit', 'layoffs', 'analyst-upgrade'],
  negated: [
    'layoffs',
    'earnings-miss',
    'lawsuit',
    'guidance-cut',
    'analyst-downgrade',
    'earnings-beat',
    'product-launch',
    'analyst-upgrade',
  ],
  irrelevant: ['misc'],
};

/** Replace `{name}` placeholders; a placeholder without a value is a bug and throws. */
export function fillTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = vars[k];
    if (v === undefined) throw new Error(`headline template needs {${k}}: ${template}`);
    return v;
  });
}

/** Random values for every placeholder, for one company. Callers override what the event fixes (quarter, year...). */
export function headlineVars(rng: Rng, co: Company): Record<string, string> {
  const others = ALL_COMPANIES.filter((c) => c.ticker !== co.ticker);
  const rival = rng.pick(others);
  const acquirer = rng.next() < 0.5 ? rng.pick(PRIVATE_EQUITY) : rng.pick(others).name;
  return {
    co: co.name,
    tk: co.ticker,
    q: `Q${1 + rng.int(4)}`,
    year: String(2015 + rng.int(15)),
    pct: String(5 + rng.int(36)),
    n: String(100 * (2 + rng.int(60))),
    span: String(3 + rng.int(30)),
    dealValue: `$${1 + rng.int(40)} billion`,
    product: rng.pick(PRODUCTS[co.sector]),
    issue: rng.pick(ISSUES),
    analyst: rng.pick(ANALYSTS),
    acquirer,
    rival: rival.name,
    city: rng.pick(CITIES),
    month: rng.pick(MONTHS),
    x: (0.1 * (1 + rng.int(60))).toFixed(1),
    bp: rng.pick(['25', '50', '75']),
    cash: `$${(0.05 * (1 + rng.int(30))).toFixed(2)}`,
    date: `${2015 + rng.int(15)}-${String(1 + rng.int(12)).padStart(2, '0')}-${String(1 + rng.int(28)).padStart(2, '0')}`,
    ratio: String(2 + rng.int(3)),
  };
}

/** One template-drawn headline about a random company of the universe (corpus filler). */
export function sampleHeadline(rng: Rng, keys: readonly string[]): string {
  const key = rng.pick(keys);
  const co = rng.pick(ALL_COMPANIES);
  return fillTemplate(rng.pick(TEMPLATES[key]), headlineVars(rng, co));
}
