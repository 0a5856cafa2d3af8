/**
 * The command line's errors and exit codes. Every failure a person can act on becomes a CliError carrying the
 * exit code scripts branch on and a hint saying what to do next.
 */
import { awsErrorCode } from '#adapters/aws/errors';

/**
 * The documented exit codes: 0 done; 1 the service or AWS failed; 2 bad usage, arguments or configuration;
 * 3 refused by validation or a guard rail (nothing was sent); 4 the stack or the indicator was not found;
 * 5 no credentials or access denied; 6 `--wait` timed out.
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
  notFound: 4,
  denied: 5,
  timeout: 6,
} as const;

/** One of the documented exit codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the command line reports as `egress-warden: <message>`, then the hint, and exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** What to do next, for a person. */
  readonly hint?: string;

  constructor(message: string, exitCode: ExitCode, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = exitCode;
    if (options?.hint !== undefined) this.hint = options.hint;
  }
}

/** How to get credentials, for every error that means there are none. */
const CONFIGURE_CREDENTIALS =
  'configure credentials: `aws configure`, `aws sso login` with AWS_PROFILE set, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';

const CHECK_STACK = 'check --stack / EGRESS_WARDEN_STACK and --region (or AWS_REGION)';

const DENIED_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
]);

const EXPIRED_CODES = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);

/**
 * Turns an error from an AWS SDK call made to `action` (a verb phrase such as "put events on the warden bus")
 * into a CliError with a next step: no credentials or an expired session, access denied (attach the stack's
 * operator policy), the stack or a resource not found, no Region. A CliError passes through unchanged; any
 * other error becomes exit 1 naming the action.
 */
export function fromAwsError(error: unknown, action: string): CliError {
  if (error instanceof CliError) return error;
  const { name, message } = describe(error);
  const cause = { cause: error };
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new CliError(`no AWS credentials to ${action}`, EXIT.denied, {
      hint: CONFIGURE_CREDENTIALS,
      ...cause,
    });
  }
  if (EXPIRED_CODES.has(name)) {
    return new CliError(`your AWS session has expired (${name}): cannot ${action}`, EXIT.denied, {
      hint: 'refresh your credentials: `aws sso login`, or new keys for AWS_PROFILE / AWS_ACCESS_KEY_ID',
      ...cause,
    });
  }
  if (DENIED_CODES.has(name) || /not authorized to perform/i.test(message)) {
    return new CliError(`access denied: cannot ${action} (${name}: ${message})`, EXIT.denied, {
      hint: `your identity may not ${action}: attach the stack's OperatorPolicyArn (a stack output) to your role or user, or ask an administrator for the permission`,
      ...cause,
    });
  }
  if (name === 'ValidationError' && /does not exist/i.test(message)) {
    return new CliError(`cannot ${action}: ${message}`, EXIT.notFound, { hint: CHECK_STACK, ...cause });
  }
  if (name === 'ResourceNotFoundException' || name === 'TargetNotFoundError' || name === 'NotFound') {
    return new CliError(
      `cannot ${action}: a resource of the stack was not found (${message})`,
      EXIT.notFound,
      {
        hint: `${CHECK_STACK}; if they are right, the stack may be of another version or be half deleted: redeploy it`,
        ...cause,
      },
    );
  }
  if (/region is missing/i.test(message)) {
    return new CliError(`cannot ${action}: no AWS Region`, EXIT.usage, {
      hint: 'pass --region, or set AWS_REGION (or a region in your AWS profile)',
      ...cause,
    });
  }
  return new CliError(`cannot ${action}: ${message}`, EXIT.failed, cause);
}

/** One entry of a PutEvents answer that the bus did not take. */
export interface FailedEntry {
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
}

/**
 * The error for a PutEvents answer with FailedEntryCount > 0 (partial failures do not throw): the bus refused
 * the event. Access denied is exit 5 with the operator policy hint; anything else is exit 1.
 */
export function fromRefusedEvent(entry: FailedEntry, busName: string): CliError {
  const code = entry.ErrorCode ?? 'unknown error';
  const what = `the bus ${busName} refused the event: ${code}${entry.ErrorMessage ? `: ${entry.ErrorMessage}` : ''}`;
  if (DENIED_CODES.has(code) || code === 'NotAuthorizedForSourceException') {
    return new CliError(what, EXIT.denied, {
      hint: `your identity may not put events on ${busName}: attach the stack's OperatorPolicyArn (a stack output) to your role or user, or have it listed in the configuration's "operators"`,
    });
  }
  const retry = code === 'ThrottlingException' || code === 'InternalFailure';
  return new CliError(what, EXIT.failed, {
    hint: retry
      ? 'nothing was recorded: try again in a moment'
      : `nothing was recorded: ${CHECK_STACK}, and that the stack is deployed and of this version`,
  });
}

function describe(error: unknown): { name: string; message: string } {
  const message = (error as { message?: unknown } | null)?.message;
  return {
    name: awsErrorCode(error) ?? 'Error',
    message: typeof message === 'string' ? message : String(error),
  };
}
