/** What the AWS SDK errors carry, read the same way by every adapter. */

/**
 * The AWS error code of an SDK error: the `name` of a modelled exception (`InvalidTokenException`) or the
 * `Code` EC2 returns (`NetworkAclEntryAlreadyExists`, which the SDK also puts in `name`).
 */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { name?: unknown; Code?: unknown; code?: unknown };
  for (const value of [candidate.Code, candidate.code, candidate.name]) {
    if (typeof value === 'string' && value !== 'Error') return value;
  }
  return undefined;
}
