/**
 * Who may do what, from the synthesized stack. What other tests already prove is referenced, not repeated:
 * - the operators' policy allows only the manual source and its detail types (test/infra/egress-warden.test.ts,
 *   "lets operators do exactly what the command line calls, and put only manual requests on the bus");
 * - only the detector functions may put Threat Signals (test/infra/detectors.test.ts, "are the only principals
 *   the warden bus lets put Threat Signals");
 * - every function's role allows exactly the actions its bundled code calls, on its own resources
 *   (test/infra/iam.test.ts, "least privilege").
 * This file adds what the bus itself enforces for manual requests, whatever IAM policies in the account allow.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG, synthStack } from '../infra/synth';

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function busStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::Events::EventBusPolicy')).map(
    (policy) => (policy as { Properties: { Statement: Statement } }).Properties.Statement,
  );
}

/** The bus's deny statements that apply to events of `source` put by `principal`. */
function deniesFor(statements: readonly Statement[], source: string, principal: string): Statement[] {
  return statements.filter((statement) => {
    if (statement.Effect !== 'Deny') return false;
    const condition = statement.Condition ?? {};
    if (condition.StringEquals?.['events:source'] !== source) return false;
    const exempt = condition.ArnNotEquals?.['aws:PrincipalArn'];
    return !(Array.isArray(exempt) && exempt.includes(principal));
  });
}

describe('the warden bus', () => {
  const operator = 'arn:aws:iam::123456789012:role/SecurityOperators';
  const intruder = 'arn:aws:iam::123456789012:role/SomeAppWithEventsPutEventsStar';

  it('denies manual requests from every principal but the configured operators', () => {
    // Prepare
    const template = Template.fromStack(synthStack({ ...EXAMPLE_CONFIG, operators: [operator] }));

    // Act
    const statements = busStatements(template);

    // Assess: an explicit deny in the bus's own policy, which no IAM policy in the account can override.
    expect(deniesFor(statements, 'egress-warden.manual', intruder)).toHaveLength(1);
    expect(deniesFor(statements, 'egress-warden.manual', operator)).toEqual([]);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Condition: {
          StringEquals: { 'events:source': 'egress-warden.manual' },
          ArnNotEquals: { 'aws:PrincipalArn': [operator] },
        },
      }),
    );
  });

  it('denies manual requests from everyone when no operator is configured', () => {
    // Prepare
    const { operators: _, ...withoutOperators } = EXAMPLE_CONFIG;
    const template = Template.fromStack(synthStack(withoutOperators));

    // Act
    const statements = busStatements(template);

    // Assess
    expect(deniesFor(statements, 'egress-warden.manual', operator)).toHaveLength(1);
  });

  it('denies Threat Signals from the operators', () => {
    // Prepare
    const template = Template.fromStack(synthStack({ ...EXAMPLE_CONFIG, operators: [operator] }));

    // Act
    const statements = busStatements(template);

    // Assess
    expect(deniesFor(statements, 'egress-warden.detectors', operator)).toHaveLength(1);
  });
});
