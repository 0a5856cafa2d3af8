/** Parsing at the edge: one schema per input, and an error that names the field and what was wrong with it. */
import * as v from 'valibot';
import { InvalidInputError } from './errors';

/**
 * Validates `input` against `schema` and returns the typed output. Throws InvalidInputError whose `field` is
 * the path of the first problem (prefixed with `root`) and whose message says what was expected.
 */
export function parseWith<const S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  root = '',
): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = v.getDotPath(issue);
  const field = [root, path].filter(Boolean).join('.');
  throw new InvalidInputError(describeIssue(issue), field);
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  if (issue.expected === 'never') return 'is not a known field';
  if (issue.received === 'undefined') {
    return issue.expected?.startsWith('"') ? 'is required' : `is required (expected ${issue.expected})`;
  }
  return issue.message;
}
