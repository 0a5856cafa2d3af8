/**
 * The GuardDuty catch-up, every 15 minutes (EventBridge schedule): findings GuardDuty updated since the
 * watermark go through the same intake as EventBridge deliveries. Logic in shared/use-cases/catch-up.ts.
 */
import { createHandler } from './create-handler';

/** The Lambda entry point, built at cold start from the environment (a bad variable fails here, named). */
export const handler = createHandler();
