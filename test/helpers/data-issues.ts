// Test helper: run a function that must throw a DataError and list its issues as `file:line [field]: reason`,
// with file paths relative to the fixtures folder.
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { DataError, type DataIssue } from '../../src/data/errors.ts';

export const FIX = join(import.meta.dirname, '..', 'fixtures', 'data');

export const showIssue = (i: DataIssue) =>
  `${relative(FIX, i.file)}${i.line !== undefined ? `:${i.line}` : ''}${i.field ? ` [${i.field}]` : ''}: ${i.reason}`;

export function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof DataError) return e.issues.map(showIssue);
    throw e;
  }
  assert.fail('expected a DataError');
}
