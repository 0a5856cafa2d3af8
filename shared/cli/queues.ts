/** Queue depths for `status` and `selftest`: what waits in the dead-letter and detector failure queues. */
import type { CliContext } from './context';
import { fromAwsError } from './errors';

/**
 * ApproximateNumberOfMessages of a queue (SQS GetQueueAttributes): messages waiting, not counting those in
 * flight. Throws CliError naming the action when the call fails.
 */
export async function queueDepth(ctx: CliContext, queueUrl: string): Promise<number> {
  try {
    const [{ GetQueueAttributesCommand }, sqs] = await Promise.all([
      import('@aws-sdk/client-sqs'),
      ctx.clients.sqs(),
    ]);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  } catch (error) {
    throw fromAwsError(error, `read the depth of ${queueUrl} (sqs:GetQueueAttributes)`);
  }
}
