/** The catch-up function's handler on dynalite, for the tests that run it against mocked GuardDuty and SNS. */

import type { GuardDutyClient } from '@aws-sdk/client-guardduty';
import type { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbDecisionStore } from '#adapters/aws/decision-store';
import { ENVIRONMENT, parseEnvironment } from '#shared/config/environment';
import { createHandler } from '../../functions/catch-up/create-handler';
import type { Dynalite } from './dynalite';

/**
 * The catch-up handler on the decision table `tableName` in `dynalite`, GuardDuty and SNS on the clients given,
 * the clock standing at `now`; the deployment looks back 6 h and deploys neither firewall. Also returns the
 * decision store on that table.
 */
export function createCatchUpOnDynalite(
  dynalite: Dynalite,
  tableName: string,
  clients: { readonly sns: SNSClient; readonly guardDuty: GuardDutyClient },
  now: Date,
) {
  const environment = parseEnvironment({
    [ENVIRONMENT.config]: JSON.stringify({
      vpcs: [{ vpcId: 'vpc-0a1b2c3d4e5f60718', cidrs: ['10.20.0.0/16'] }],
      targets: { dnsFirewall: { deploy: false }, networkFirewall: { deploy: false } },
      guardDuty: { catchUpLookback: '6h' },
    }),
    [ENVIRONMENT.table]: tableName,
    [ENVIRONMENT.topic]: 'arn:aws:sns:eu-west-1:123456789012:egress-warden-alerts',
  });
  const store = new DynamoDbDecisionStore({ client: dynalite.doc, tableName });
  const handler = createHandler({
    environment,
    dynamodb: dynalite.client,
    sns: clients.sns,
    guardDuty: clients.guardDuty,
    clock: { now: () => now },
  });
  return { handler, store };
}
