/** Where a bad value sits: a file, and optionally a 1-based line and a field (column or JSON key). */
export interface Location {
  file: string;
  line?: number;
  field?: string;
}

export function formatLocation(loc: Location): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.field !== undefined) s += ` [${loc.field}]`;
  return s;
}

export interface DataIssue extends Location {
  reason: string;
}

/** Bad input data. Carries every issue found, each with file, line, field and reason. */
export class DataError extends Error {
  readonly issues: DataIssue[];
  constructor(issues: DataIssue[], summary?: string) {
    const first = issues.slice(0, 20).map((i) => `${formatLocation(i)}: ${i.reason}`);
    const more = issues.length > 20 ? `\n... and ${issues.length - 20} more` : '';
    super(`${summary ?? `${issues.length} problem(s) in input data`}\n${first.join('\n')}${more}`);
    this.name = 'DataError';
    this.issues = issues;
  }
}

/** Something was asked for that lies after the decision time of a point-in-time view. */
export class LookAheadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LookAheadError';
  }
}

/** A wrong command-line argument or configuration value: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
