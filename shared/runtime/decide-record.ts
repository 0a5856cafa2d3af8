/**
 * One SQS record of the `decide` function: the EventBridge event in its body through `handleEvent`, with the
 * error policy applied. Kept out of the handler so the handler only wires.
 */
import type { SQSRecord } from 'aws-lambda';
import { AlertBatch } from '#shared/use-cases/alerting';
import type { Dependencies } from '#shared/use-cases/dependencies';
import { handleEvent } from '#shared/use-cases/handle-event';
import { dispositionOf, parseJsonBody } from './error-policy';
import { countDecision, countInvalidInput, decisionLogKeys, type Telemetry } from './telemetry';

/**
 * Returns the record handler for one batch. A record resolves when its event was decided or dropped as invalid
 * input (logged with the reason, counted in InvalidInputs), and throws any other error, so that only that
 * record is retried (partial-batch response) and reaches the DLQ after the redrive count.
 */
function createRecordDecider(
  deps: Dependencies,
  { logger, metrics }: Telemetry,
): (record: SQSRecord) => Promise<void> {
  return async (record) => {
    const keys: Record<string, unknown> = { messageId: record.messageId };
    try {
      const event = parseJsonBody(record.body, 'body');
      if (isObject(event) && typeof event.id === 'string') keys.eventId = event.id;
      const report = await handleEvent(event, deps);
      for (const decision of report.decisions) {
        logger.info('Signal decided', { ...keys, ...decisionLogKeys(decision) });
        countDecision(metrics, decision);
      }
      for (const reset of report.breakerResets) logger.info('Breaker reset', { ...keys, breaker: reset });
      for (const pause of report.pauses) logger.info('Pause changed', { ...keys, pause });
    } catch (error) {
      if (dispositionOf(error) === 'retry') {
        logger.error('Record failed; it will be retried', { ...keys, error });
        throw error;
      }
      logger.warn('Invalid input dropped', { ...keys, reason: (error as Error).message, error });
      countInvalidInput(metrics);
    }
  };
}

/** The record handler of one batch, and what to call once the batch is done. */
export interface BatchDecider {
  readonly decideRecord: (record: SQSRecord) => Promise<void>;
  /** Sends the batch's alerts (each, or one digest for a burst) and logs what could not be sent. Never throws. */
  readonly sendAlerts: () => Promise<void>;
}

/**
 * {@link createRecordDecider} for one SQS batch, with its alerts collected and sent when the batch is done:
 * up to 10 records whose alerts would otherwise arrive as 10 messages.
 */
export function createBatchDecider(deps: Dependencies, telemetry: Telemetry): BatchDecider {
  const alerting = new AlertBatch(deps);
  return {
    decideRecord: createRecordDecider({ ...deps, alerts: alerting }, telemetry),
    sendAlerts: async () => {
      const report = await alerting.flush();
      // The decisions stand: a retried record would only be a duplicate, so a lost alert is logged, not retried.
      if (report.failures.length > 0) telemetry.logger.error('Alerts not sent', { alerts: report });
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
