// What every command shares: parsing numeric and choice options, printing JSON, progress on long steps.
import { SingleBar } from 'cli-progress';
import { UsageError } from '../data/errors.ts';

export function parseNumberOption(
  name: string,
  value: string | undefined,
  opts: { integer?: boolean; min?: number } = {},
) {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name}: "${value}" is not a number`);
  if (opts.integer && !Number.isInteger(v)) throw new UsageError(`--${name}: "${value}" is not an integer`);
  if (opts.min !== undefined && v < opts.min) throw new UsageError(`--${name}: ${v} is below the minimum ${opts.min}`);
  return v;
}

/** `value` when it is one of `allowed` (undefined stays undefined); otherwise a UsageError naming the option. */
export function parseChoiceOption<T extends string>(name: string, value: string | undefined, allowed: readonly T[]) {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${name}: "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export interface Progress {
  tick(n?: number, label?: string): void;
  done(): void;
}

/** A progress bar on a TTY; plain lines to stderr (every ~10 %) otherwise; nothing when `quiet`. */
export function progress(title: string, total: number, quiet = false): Progress {
  if (quiet) return { tick() {}, done() {} };
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: `${title} [{bar}] {percentage}% {value}/{total} {label}`,
      stream: process.stderr,
      hideCursor: true,
    });
    bar.start(total, 0, { label: '' });
    return {
      tick: (n = 1, label = '') => bar.increment(n, { label }),
      done: () => bar.stop(),
    };
  }
  let value = 0;
  let lastDecile = -1;
  return {
    tick(n = 1, label = '') {
      value += n;
      const decile = Math.floor((10 * value) / Math.max(1, total));
      if (decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${title}: ${value}/${total}${label ? ` ${label}` : ''}\n`);
      }
    },
    done() {},
  };
}
