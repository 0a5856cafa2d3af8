import { EventBridgeServiceException, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { CALLER, CONFIG, startTestDeployment, useTestDeployment } from '../deployment-fixture';

const lab = useTestDeployment();

function nothingSent(): void {
  expect(lab.deployment.mocks.eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
}

describe('egress-warden block', () => {
  it('refuses an invalid indicator with the intake message before asking AWS anything (exit 3)', async () => {
    // Act
    const run = await lab.deployment.cli('block', 'not a domain', '--reason', 'x');

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      'egress-warden: refused: detail.indicator: "not a domain" is not a valid indicator: contains whitespace (U+0020)',
    );
    expect(run.stderr).toContain('hint: nothing was sent');
    expect(lab.deployment.mocks.sts).not.toHaveReceivedCommand(GetCallerIdentityCommand);
    nothingSent();
  });

  it('refuses an allowlisted domain and its subdomains with the service reason (exit 3)', async () => {
    // Act
    const run = await lab.deployment.cli('block', 'api.partner.example.net', '--reason', 'x');

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      'refused: not blocked: api.partner.example.net overlaps the allowlisted domain partner.example.net',
    );
    expect(run.stderr).toContain('policy.allowlist');
    nothingSent();
  });

  it('refuses what the guard rails protect (exit 3)', async () => {
    // Act
    const runs = await Promise.all([
      lab.deployment.cli('block', '10.1.2.3', '--reason', 'x'),
      lab.deployment.cli('block', '169.254.169.254', '--reason', 'x'),
      lab.deployment.cli('block', 's3.eu-west-1.amazonaws.com', '--reason', 'x'),
    ]);

    // Assess
    expect(runs.map((run) => run.code)).toEqual([3, 3, 3]);
    expect(runs[0]?.stderr).toContain('is in the private range 10.0.0.0/8');
    expect(runs[1]?.stderr).toContain('refused: not blocked:');
    expect(runs[2]?.stderr).toContain('refused: not blocked:');
    nothingSent();
  });

  it('refuses --ttl with --permanent, a bad --ttl and a bad --severity, naming the field (exit 3)', async () => {
    // Act
    const both = await lab.deployment.cli(
      'block',
      'a.example.com',
      '--reason',
      'x',
      '--ttl',
      '4h',
      '--permanent',
    );
    const ttl = await lab.deployment.cli('block', 'a.example.com', '--reason', 'x', '--ttl', 'soon');
    const severity = await lab.deployment.cli(
      'block',
      'a.example.com',
      '--reason',
      'x',
      '--severity',
      'high',
    );

    // Assess
    expect([both.code, ttl.code, severity.code]).toEqual([3, 3, 3]);
    expect(both.stderr).toContain('detail.ttl: cannot be combined with permanent: true');
    expect(ttl.stderr).toContain('detail.ttl: "soon" is not a duration');
    expect(severity.stderr).toContain('detail.severity:');
    nothingSent();
  });

  it('refuses targets that cannot block the kind (exit 3)', async () => {
    // Act
    const run = await lab.deployment.cli(
      'block',
      'a.example.com',
      '--reason',
      'x',
      '--targets',
      'networkAcls',
    );

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('refused: no target that can block a domain is switched on');
    nothingSent();
  });

  it('asks for --reason (exit 2)', async () => {
    // Act
    const run = await lab.deployment.cli('block', 'a.example.com');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("required option '--reason <text>' not specified");
  });

  it('prints the request, its event id and the preview as JSON', async () => {
    // Act
    const run = await lab.deployment.cli('block', '203.0.113.0/24', '--reason', 'x', '--permanent', '--json');

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      eventId: '0d1e2f3a-0000-4000-8000-000000000001',
      busName: 'EgressWarden-bus',
      request: {
        detailType: 'Block Request',
        detail: { indicator: '203.0.113.0/24', reason: 'x', permanent: true, requestedBy: CALLER },
      },
      preview: expect.objectContaining({
        outcome: 'blocked',
        targets: ['networkAcls', 'networkFirewall'],
        expiresAt: null,
      }),
    });
  });

  it('says a block in alert mode is only recorded as a shadow decision', async () => {
    // Prepare: the same stack deployed with every target in its default, alert mode.
    lab.deployment.restore();
    const alertOnly = await startTestDeployment(lab.dynalite, { ...CONFIG, policy: {} });

    try {
      // Act
      const run = await alertOnly.cli('block', 'evil.example.com', '--reason', 'x', '--wait');

      // Assess
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        'Will record a shadow decision (nothing blocked): dnsFirewall (alert), networkFirewall (alert).',
      );
      expect(run.stdout).toMatch(/Decided at .*: shadow/);
      expect(alertOnly.warden.dnsFirewall.snapshot()).toEqual([]);
    } finally {
      alertOnly.restore();
    }
  });

  it('stops at the hop it waited on when the decision never comes (exit 6)', async () => {
    // Prepare
    lab.deployment.stall();

    // Act
    const run = await lab.deployment.cli(
      'block',
      'evil.example.com',
      '--reason',
      'x',
      '--wait',
      '--timeout',
      '10s',
    );

    // Assess
    expect(run.code).toBe(6);
    expect(run.stdout).toContain(
      'Sent Block Request 0d1e2f3a-0000-4000-8000-000000000001 on EgressWarden-bus.',
    );
    expect(run.stderr).toContain(
      'egress-warden: timed out waiting for the decision on evil.example.com: the request manual:0d1e2f3a-0000-4000-8000-000000000001 is not in its audit trail yet (hop: bus → decide)',
    );
    expect(run.stderr).toContain('EgressWarden-DeadLetterQueue');
  });

  it('reports an event the bus refused, with its code and message (exit 1)', async () => {
    // Prepare
    lab.deployment.mocks.eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error' }],
    });

    // Act
    const run = await lab.deployment.cli('block', 'evil.example.com', '--reason', 'x');

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'egress-warden: the bus EgressWarden-bus refused the event: InternalFailure: Internal service error',
    );
    expect(run.stderr).toContain('hint: nothing was recorded: try again in a moment');
  });

  it('names the operator policy when the caller may not put events (exit 5)', async () => {
    // Prepare
    lab.deployment.mocks.eventBridge.on(PutEventsCommand).rejects(
      new EventBridgeServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: {},
        message: `User: ${CALLER} is not authorized to perform: events:PutEvents`,
      }),
    );

    // Act
    const run = await lab.deployment.cli('block', 'evil.example.com', '--reason', 'x');

    // Assess
    expect(run.code).toBe(5);
    expect(run.stderr).toContain('access denied: cannot put events on the warden bus EgressWarden-bus');
    expect(run.stderr).toContain(
      "hint: your identity may not put events on the warden bus EgressWarden-bus (events:PutEvents): attach the stack's OperatorPolicyArn",
    );
  });

  it('says how to configure credentials when there are none (exit 5)', async () => {
    // Prepare
    lab.deployment.mocks.sts.on(GetCallerIdentityCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );

    // Act
    const run = await lab.deployment.cli('block', 'evil.example.com', '--reason', 'x');

    // Assess
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(
      'egress-warden: no AWS credentials to read your identity (sts:GetCallerIdentity)',
    );
    expect(run.stderr).toContain('hint: configure credentials: `aws configure`');
    nothingSent();
  });

  it('says to check --stack and --region when the stack does not exist (exit 4)', async () => {
    // Prepare
    lab.deployment.stackMissing();

    // Act
    const run = await lab.deployment.cli('block', 'evil.example.com', '--reason', 'x');

    // Assess
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('Stack with id EgressWarden does not exist');
    expect(run.stderr).toContain('hint: check --stack / EGRESS_WARDEN_STACK and --region');
    nothingSent();
  });
});

describe('egress-warden unblock', () => {
  it('sends nothing for an indicator that is not blocked (exit 4)', async () => {
    // Act
    const run = await lab.deployment.cli('unblock', 'a.example.com', '--reason', 'x');

    // Assess
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('egress-warden: a.example.com is not blocked; nothing to unblock');
    nothingSent();
  });

  it('names the wider block that covers the indicator (exit 4)', async () => {
    // Prepare
    await lab.deployment.cli('block', '203.0.113.0/24', '--reason', 'x', '--wait');

    // Act
    const run = await lab.deployment.cli('unblock', '203.0.113.7', '--reason', 'x');

    // Assess
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('but the active block on 203.0.113.0/24');
    expect(run.stderr).toContain('unblock 203.0.113.0/24 instead');
  });
});
