// The embedded synthetic market (docs/synthetic-market.md).
export { nyseHolidays, tradingDays } from './calendar.ts';
export {
  DEFAULT_SYNTH_CONFIG,
  parseSynthConfig,
  QUICK_SYNTH_CONFIG,
  SECTORS,
  type Sector,
  type SynthConfig,
  type SynthConfigInput,
  SynthConfigSchema,
} from './config.ts';
export {
  CORPUS_FILE,
  generateMarket,
  SYNTH_GENERATOR,
  type SyntheticMarket,
  writeSyntheticMarket,
} from './generate.ts';
export {
  EVENT_KINDS,
  EVENT_TYPES,
  type EventKind,
  type EventType,
  HIDDEN_DIR,
  HIDDEN_IMPACTS_FILE,
  type HiddenEvent,
  loadHiddenImpacts,
} from './hidden.ts';
