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
  const field = pathOf(issue, root);
  throw new InvalidInputError(describeIssue(issue), field);
}

/** `root.a.b[1].c`: array positions in brackets, as the other checks write them (`allowlist.cidrs[1]`). */
function pathOf(issue: v.BaseIssue<unknown>, root: string): string {
  let field = root;
  for (const item of issue.path ?? []) {
    const key = item.key;
    if (typeof key === 'number') field += `[${key}]`;
    else if (typeof key === 'string') field += field ? `.${key}` : key;
  }
  return field;
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  if (issue.expected === 'never') return 'is not a known field';
  if (issue.received === 'undefined') {
    return issue.expected?.startsWith('"') ? 'is required' : `is required (expected ${issue.expected})`;
  }
  return issue.message;
}
