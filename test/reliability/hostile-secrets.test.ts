/**
 * No secret or credential in logs, alerts or the audit trail: the `decide` and `enforce` functions through
 * their real middy chains with AWS credentials in the environment (the SDK signs every request with them) and
 * fake secrets in the events, in fields no log, alert or record has a reason to repeat. Everything they wrote
 * (Powertools' log and EMF lines, every SNS message, every item in the decision table) is searched for the
 * secrets, for any 8-character part of one, and for anything shaped like an access key id.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { NetworkFirewallClient } from '@aws-sdk/client-network-firewall';
import {
  AccessDeniedException,
  Route53ResolverClient,
  UpdateFirewallDomainsCommand,
} from '@aws-sdk/client-route53resolver';
import { SNSClient } from '@aws-sdk/client-sns';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '#adapters/in-memory/clock';
import { InvalidInputError } from '#domain/errors';
import { createAwsCore, createAwsEnforceCore, createAwsTargets } from '#shared/composition/aws';
import { parseEnvironment } from '#shared/config/environment';
import { parseJsonBody } from '#shared/runtime/error-policy';
import { handleEvent } from '#shared/use-cases/handle-event';
import { createDecideHandler } from '../../functions/decide/handler';
import { createEnforceHandler } from '../../functions/enforce/handler';
import { loadEvent, type SampleEvent } from '../support/events';
import { fakeEc2NetworkAcls } from '../support/fakes/ec2-network-acls';
import { fakeNetworkFirewall } from '../support/fakes/network-firewall';
import { fakeRoute53Resolver } from '../support/fakes/route53-resolver';
import { fakeSns } from '../support/fakes/sns';
import { useFunctionHooks } from '../support/function-hooks';
import {
  ACL_ID,
  lambdaContext,
  lambdaEnvironment,
  scheduledEvent,
  sqsRecord,
  VPC_ID,
} from '../support/lambda-events';

/** Fake credentials, shaped like real ones, that must never be written anywhere. */
const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIAHOSTILETEST0001Z',
  AWS_SECRET_ACCESS_KEY: 'hOsTiLeSeCrEt/K7MDENG/bPxRfiCYEXAMPLEKEY1',
  AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEHOSTILESESSIONTOKENaDFAKEfakeQzXwVbNmPlKj',
};
/** Fake secrets inside the events: a GuardDuty access key, a key pasted into an extra field. */
const EVENT_SECRETS = {
  accessKeyId: 'ASIAHOSTILEEVENT0002',
  secretAccessKey: 'eVeNtSeCrEt/K7MDENG/bPxRfiCYEXAMPLEKEY2',
};
const SECRETS = [...Object.values(CREDENTIALS), ...Object.values(EVENT_SECRETS)];
/** An AWS access key id of any kind: long-term (AKIA) or temporary (ASIA). */
const ACCESS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/;
/** The shortest part of a secret searched for. */
const FRAGMENT = 8;
const START = new Date('2026-11-28T10:00:00.000Z');

// The module builds its handler from the environment when imported, as Lambda does at cold start.
await vi.hoisted(async () => {
  const { lambdaEnvironment } = await import('../support/lambda-events');
  for (const [name, value] of Object.entries(lambdaEnvironment('decisions'))) vi.stubEnv(name, value);
});

const { dynalite } = useFunctionHooks();

beforeAll(() => {
  for (const [name, value] of Object.entries(CREDENTIALS)) vi.stubEnv(name, value);
});

/**
 * Events carrying fake secrets where nothing should repeat them, one the table refuses to write, and bodies
 * that are not JSON.
 */
function hostileBatch() {
  const finding = loadEvent<SampleEvent<{ resource: Record<string, unknown> }>>('guardduty/c2-domain.json');
  finding.detail.resource.accessKeyDetails = {
    accessKeyId: EVENT_SECRETS.accessKeyId,
    principalId: `AROAEXAMPLE:${EVENT_SECRETS.accessKeyId}`,
    userName: 'ci-deployer',
    userType: 'AssumedRole',
  };
  const block = { ...loadEvent('manual/block-request.json'), credentials: EVENT_SECRETS };
  const unknownField = {
    ...loadEvent<SampleEvent>('manual/block-request.json'),
    id: 'with-an-unknown-field',
  };
  unknownField.detail = { ...unknownField.detail, secretAccessKey: EVENT_SECRETS.secretAccessKey };
  const signal = loadEvent<SampleEvent>('detectors/dns-tunnel-signal.json');
  signal.detail = { ...signal.detail, indicator: 'throttled.example.com' };
  // A body cut short: JSON.parse's own message quotes the text around the error.
  const cutShort = JSON.stringify({ ...block, id: 'cut-short' }).slice(0, -40);
  return [
    ...[finding, block, unknownField, signal].map((event) => sqsRecord(JSON.stringify(event))),
    sqsRecord(cutShort),
    sqsRecord(`{"awsSecretAccessKey": ${EVENT_SECRETS.secretAccessKey}}`),
    sqsRecord(EVENT_SECRETS.accessKeyId),
  ];
}

describe('secrets and credentials', () => {
  it('appear in no log line, alert or audit record of decide, even when a record fails', async () => {
    // Prepare: the SDK signs with the credentials of the environment; one write fails as throttled.
    const tableName = await dynalite.createTable();
    const dynamodb = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', maxAttempts: 1 });
    throttleWritesNaming(dynamodb, 'throttled.example.com');
    const snsClient = new SNSClient({ region: 'us-east-1' });
    const sns = fakeSns(mockClient(snsClient));
    const core = createAwsCore(parseEnvironment(lambdaEnvironment(tableName)), {
      dynamodb,
      sns: snsClient,
      clock: new ManualClock(START),
    });
    const handler = createDecideHandler(core);

    // Act
    const { written, result: response } = await captured(() =>
      handler({ Records: hostileBatch() }, lambdaContext('decide')),
    );
    const items = await dynalite.doc.send(new ScanCommand({ TableName: tableName }));

    // Assess: the run did its work (a decision, an alert, a failed record logged), and wrote no secret.
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: expect.any(String) }] });
    expect(written).toContain('Record failed; it will be retried');
    expect(sns.published.length).toBeGreaterThan(0);
    expect(items.Items?.length).toBeGreaterThan(0);
    expectNoSecret({
      logs: written,
      alerts: JSON.stringify(sns.published),
      audit: JSON.stringify(items.Items),
    });
  });

  it('appear in no log line, alert or audit record of enforce, even when a target refuses a write', async () => {
    // Prepare: decisions from the hostile events, then every AWS client signing with the environment's credentials.
    const tableName = await dynalite.createTable();
    const dynamodb = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', maxAttempts: 1 });
    const clients = {
      sns: new SNSClient({ region: 'us-east-1' }),
      ec2: new EC2Client({ region: 'us-east-1' }),
      resolver: new Route53ResolverClient({ region: 'us-east-1' }),
      networkFirewall: new NetworkFirewallClient({ region: 'us-east-1' }),
    };
    const ec2 = mockClient(clients.ec2);
    ec2.on(DescribeVpcsCommand).resolves({
      Vpcs: [
        {
          VpcId: VPC_ID,
          CidrBlockAssociationSet: [{ CidrBlock: '10.20.0.0/16', CidrBlockState: { State: 'associated' } }],
        },
      ],
    });
    const sns = fakeSns(mockClient(clients.sns));
    fakeEc2NetworkAcls(ec2, [
      {
        aclId: ACL_ID,
        vpcId: VPC_ID,
        egress: [{ ruleNumber: 100, cidr: '0.0.0.0/0', action: 'allow', protocol: '-1' }],
      },
    ]);
    const resolver = fakeRoute53Resolver(mockClient(clients.resolver), { pollsWhileUpdating: 0 });
    // The refusal names the caller, as AWS's do; the credentials it signed with must still appear nowhere.
    resolver.failAlways(
      UpdateFirewallDomainsCommand,
      new AccessDeniedException({
        $metadata: { httpStatusCode: 403 },
        message: 'User: arn:aws:sts::123456789012:assumed-role/EgressWardenEnforce/session is not authorized',
      }),
    );
    fakeNetworkFirewall(mockClient(clients.networkFirewall), { capacity: 100 });
    const core = createAwsEnforceCore(parseEnvironment(lambdaEnvironment(tableName)), {
      dynamodb,
      clock: new ManualClock(START),
      ...clients,
    });
    const deps = await core.dependencies();
    for (const record of hostileBatch()) {
      // The records that are not valid input are refused here, as decide refuses them.
      await Promise.resolve()
        .then(() => handleEvent(parseJsonBody(record.body, 'body'), deps))
        .catch((error: unknown) => expect(error).toBeInstanceOf(InvalidInputError));
    }
    const handler = createEnforceHandler(core, createAwsTargets(core, clients));

    // Act
    const { written } = await captured(() =>
      handler(scheduledEvent('2026-11-28T10:00:00Z') as never, lambdaContext('enforce')),
    );
    const items = await dynalite.doc.send(new ScanCommand({ TableName: tableName }));

    // Assess: the refusal was logged and alerted, and no secret went with it.
    expect(written).toContain('not authorized');
    expect(sns.published.length).toBeGreaterThan(0);
    expectNoSecret({
      logs: written,
      alerts: JSON.stringify(sns.published),
      audit: JSON.stringify(items.Items),
    });
  });
});

/** Runs `act` with stdout and stderr captured (nothing reaches the terminal); what was written, and its result. */
async function captured<T>(act: () => Promise<T>): Promise<{ written: string; result: T }> {
  const written: string[] = [];
  const capture = (chunk: unknown): boolean => {
    written.push(String(chunk));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    const result = await act();
    return { written: written.join(''), result };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** Asserts that no text holds a secret, a part of one, or anything shaped like an access key id. */
function expectNoSecret(texts: Record<string, string>): void {
  for (const [where, text] of Object.entries(texts)) {
    for (const fragment of SECRETS.flatMap(fragmentsOf)) {
      expect(text.includes(fragment), `${where} hold ${fragment}`).toBe(false);
    }
    expect(text, where).not.toMatch(ACCESS_KEY_ID);
  }
}

/** Every run of {@link FRAGMENT} characters of a secret: a part of one is a leak too. */
function fragmentsOf(secret: string): string[] {
  return Array.from({ length: secret.length - FRAGMENT + 1 }, (_, start) =>
    secret.slice(start, start + FRAGMENT),
  );
}

/** Makes every write that names `value` fail as throttled, after the request is signed. */
function throttleWritesNaming(dynamodb: DynamoDBClient, value: string): void {
  dynamodb.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: string | Uint8Array };
      const body = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
      if (body.includes(value) && !(request.headers?.['x-amz-target'] ?? '').endsWith('.GetItem')) {
        // Shaped as the SDK's errors are; thrown after signing, so the signed request is what failed.
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
          name: 'ProvisionedThroughputExceededException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400, attempts: 3 },
        });
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: 'throttle', priority: 'low' },
  );
}
