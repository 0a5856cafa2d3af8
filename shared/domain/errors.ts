/**
 * Every error Egress Warden raises on purpose. `retryable` tells the error policy whether trying the same
 * thing again can help (throttling, a stale token) or cannot (bad input, a full target).
 */
export abstract class WardenError extends Error {
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A refused value as an error repeats it: cut to `max` characters, with an ellipsis, when longer, so that a huge
 * value cannot flood a log line or an alert.
 */
export function excerpt(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** {@link excerpt} in JSON quotes, the ellipsis after the closing quote. */
export function quotedExcerpt(text: string, max: number): string {
  return text.length > max ? `${JSON.stringify(text.slice(0, max))}…` : JSON.stringify(text);
}

/** Input that can never be processed as sent: an event, a request, a configuration value. Never retried. */
export class InvalidInputError extends WardenError {
  readonly retryable = false;
  /** The AWS error code when a service refused the input (`ValidationException`, `InvalidParameterValue`). */
  readonly code?: string;

  constructor(
    message: string,
    /** The path of the field that was wrong, such as `detail.indicator`; empty for the whole input. */
    readonly field = '',
    options?: { cause?: unknown; code?: string },
  ) {
    super(field ? `${field}: ${message}` : message, options);
    if (options?.code) this.code = options.code;
  }
}

/** A value that is not a valid domain, IP address or CIDR. Names the value and the rule it broke. */
export class InvalidIndicatorError extends InvalidInputError {
  constructor(
    readonly value: string,
    readonly rule: string,
    field = '',
  ) {
    super(`${JSON.stringify(value)} is not a valid indicator: ${rule}`, field);
  }
}

/** An error a service (or its in-memory stand-in) reported; `code` is the AWS error code for it. */
export abstract class ServiceError extends WardenError {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A target or the store refused a write because a limit is reached (entries per ACL, domains per account,
 * rule group capacity).
 */
export class TargetCapacityError extends ServiceError {
  readonly retryable = false;
}

/**
 * Someone else changed the thing being written since it was read: a stale Network Firewall UpdateToken, a
 * DynamoDB conditional check, a rule number taken by another writer, a domain list that is still updating.
 * Re-read and try again.
 */
export class ConcurrentUpdateError extends ServiceError {
  readonly retryable = true;
}

/** The service asked us to slow down and bounded retries did not get through. */
export class ThrottledError extends ServiceError {
  readonly retryable = true;
}

/**
 * The service failed on its side (AWS out of capacity for the request, a server error) and bounded retries
 * did not get through. Nothing is wrong with the request: try again later.
 */
export class ServiceUnavailableError extends ServiceError {
  readonly retryable = true;
}

/** The container (ACL, domain list, rule group, topic, table) does not exist. Fix the configuration. */
export class TargetNotFoundError extends ServiceError {
  readonly retryable = false;
}

/**
 * An enforce run's time budget ran out before a write could start: nothing of that write was made, and the
 * next run continues from what the target holds.
 */
export class DeadlineReachedError extends WardenError {
  readonly retryable = true;
}
