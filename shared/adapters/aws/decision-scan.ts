/**
 * Every decision record of a decision table, in any status, for the operator's `list --all`. A Scan reads the
 * whole table (audit items included, filtered out by DynamoDB after reading), so it is for people, never for
 * the functions' hot paths, which read the `active` index instead.
 */
import { type DynamoDBDocumentClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import { fromDecisionItem } from '#adapters/aws/decision-table';
import { callDynamoDb } from '#adapters/aws/dynamodb-calls';
import type { Decision } from '#domain/decision';

/** The sort key every decision item has (decision-table.ts). */
const DECISION_SORT_KEY = 'DECISION';

/**
 * Scans `tableName` for decision items, paginated to the end. Throttling is retried, then ThrottledError; a
 * missing table is TargetNotFoundError; anything else as the SDK raised it.
 */
export async function scanDecisions(client: DynamoDBDocumentClient, tableName: string): Promise<Decision[]> {
  const decisions: Decision[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page: ScanCommandOutput = await callDynamoDb(
      'Scan',
      () =>
        client.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: '#sk = :decision',
            ExpressionAttributeNames: { '#sk': 'sk' },
            ExpressionAttributeValues: { ':decision': DECISION_SORT_KEY },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      { tableName, maxAttempts: 4 },
    );
    for (const item of page.Items ?? []) decisions.push(fromDecisionItem(item));
    start = page.LastEvaluatedKey;
  } while (start);
  return decisions;
}
