/**
 * The error policy of the functions: the one place that says which failures are dropped (the input can never
 * be processed as sent, so a retry would fail the same way and only delay the DLQ) and which are retried.
 */
import { InvalidInputError } from '#domain/errors';

/** What a function does with a record whose processing threw. */
export type Disposition = 'drop' | 'retry';

/**
 * `drop` for InvalidInputError (and its subclasses, such as InvalidIndicatorError); `retry` for everything
 * else: throttling, a lost conditional write, a missing table or any unexpected error. A missing container is
 * retried on purpose: the message then reaches the DLQ and can be redriven once the configuration is fixed.
 */
export function dispositionOf(error: unknown): Disposition {
  return error instanceof InvalidInputError ? 'drop' : 'retry';
}

/**
 * Parses a message body as JSON; a body that is not JSON is InvalidInputError naming `field` and what the
 * parser found, without the text around it: that text goes to the logs, and a body may hold a secret.
 */
export function parseJsonBody(body: string, field: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    // V8 quotes the body around the error (`Unexpected token 'e', ..."Key": eVeNtSeCrE"... is not valid JSON`).
    const problem = (error as Error).message.replace(/,\s*(?:\.\.\.)?".*$/s, '');
    throw new InvalidInputError(`is not valid JSON: ${problem} (${body.length} characters)`, field);
  }
}
