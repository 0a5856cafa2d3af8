/**
 * Faults on a real DynamoDB client (pointed at dynalite, which cannot throttle or fail): a request whose
 * operation matches is refused before it is sent, as DynamoDB refuses a throttled request it does not run.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** A DynamoDB error as the SDK raises it: the error code in `name`, server faults marked as such. */
export function dynamoDbError(code: string, message = code): Error {
  const server = code === 'InternalServerError' || code === 'ServiceUnavailable';
  return Object.assign(new Error(message), {
    name: code,
    $fault: server ? 'server' : 'client',
    $metadata: { httpStatusCode: server ? 500 : 400 },
  });
}

/** Which requests fail, and how often. */
export interface DynamoDbFault {
  /** The operation (`Query`, `PutItem`, `GetItem`, …), as in the request's `X-Amz-Target`. */
  readonly operation: string;
  /** The error code to raise (`ThrottlingException`, `InternalServerError`, …). */
  readonly code: string;
  /** How many matching requests fail before the rest pass; every one while unset. */
  readonly times?: number;
  /** Only requests whose JSON body contains this text fail (a key, a condition). */
  readonly bodyContains?: string;
}

/** What a fault did so far; `recover` makes the following requests pass. */
export interface InjectedDynamoDbFault {
  /** Matching requests refused so far. */
  readonly failed: number;
  /** Matching requests sent (refused or passed). */
  readonly seen: number;
  recover(): void;
}

let faults = 0;

/** The operation target (`X-Amz-Target`) and the JSON body of a DynamoDB request being built. */
function targetAndBody(request: unknown): { target: string; body: string } {
  const { headers, body } = request as { headers?: Record<string, string>; body?: string | Uint8Array };
  return {
    target: headers?.['x-amz-target'] ?? '',
    body: typeof body === 'string' ? body : new TextDecoder().decode(body ?? undefined),
  };
}

/** Makes matching requests of `client` fail with `fault.code` until `times` have failed or `recover` is called. */
export function failDynamoDb(client: DynamoDBClient, fault: DynamoDbFault): InjectedDynamoDbFault {
  const name = `injected-fault-${++faults}`;
  const state = { failed: 0, seen: 0, recovered: false };
  client.middlewareStack.add(
    (next) => async (args) => {
      const { target, body } = targetAndBody(args.request);
      const matches =
        target.endsWith(`.${fault.operation}`) &&
        (fault.bodyContains === undefined || body.includes(fault.bodyContains));
      if (matches) {
        state.seen++;
        if (!state.recovered && (fault.times === undefined || state.failed < fault.times)) {
          state.failed++;
          throw dynamoDbError(fault.code, `injected ${fault.code} on ${fault.operation}`);
        }
      }
      return next(args);
    },
    { step: 'build', name },
  );
  return {
    get failed() {
      return state.failed;
    },
    get seen() {
      return state.seen;
    },
    recover() {
      state.recovered = true;
    },
  };
}

/**
 * Runs `action` once, just before the first request of `operation` whose body contains `bodyContains` is sent:
 * another writer getting there first, so that the request's condition fails in the table itself.
 */
export function beforeFirst(
  client: DynamoDBClient,
  match: { readonly operation: string; readonly bodyContains: string },
  action: () => Promise<unknown>,
): { readonly ran: boolean } {
  const state = { ran: false };
  client.middlewareStack.add(
    (next) => async (args) => {
      const { target, body } = targetAndBody(args.request);
      if (!state.ran && target.endsWith(`.${match.operation}`) && body.includes(match.bodyContains)) {
        state.ran = true;
        await action();
      }
      return next(args);
    },
    { step: 'build', name: `before-first-${++faults}` },
  );
  return state;
}
