import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { STSServiceException } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT, fromAwsError, fromRefusedEvent } from '#shared/cli/errors';

function credentialsError(): Error {
  return Object.assign(new Error('Could not load credentials from any providers'), {
    name: 'CredentialsProviderError',
  });
}

describe('fromAwsError', () => {
  it('tells how to configure credentials when there are none (exit 5)', () => {
    // Act
    const error = fromAwsError(credentialsError(), 'put events on the warden bus');

    // Assess
    expect(error.exitCode).toBe(EXIT.denied);
    expect(error.message).toBe('no AWS credentials to put events on the warden bus');
    expect(error.hint).toContain('aws configure');
    expect(error.hint).toContain('AWS_PROFILE');
  });

  it('says to refresh an expired session (exit 5)', () => {
    // Prepare
    const expired = new STSServiceException({
      name: 'ExpiredToken',
      $fault: 'client',
      $metadata: {},
      message: 'The security token included in the request is expired',
    });

    // Act
    const error = fromAwsError(expired, 'read your identity');

    // Assess
    expect(error.exitCode).toBe(EXIT.denied);
    expect(error.message).toContain('expired (ExpiredToken)');
    expect(error.hint).toContain('aws sso login');
  });

  it.each(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation'])(
    'names the action and the operator policy for %s (exit 5)',
    (code) => {
      // Prepare
      const denied = Object.assign(new Error('User: arn:aws:iam::123456789012:user/bob is not authorized'), {
        name: code,
        $metadata: {},
      });

      // Act
      const error = fromAwsError(denied, 'read the decision table');

      // Assess
      expect(error.exitCode).toBe(EXIT.denied);
      expect(error.message).toContain('cannot read the decision table');
      expect(error.hint).toMatch(
        /^your identity may not read the decision table: attach the stack's OperatorPolicyArn/,
      );
    },
  );

  it('says to check the stack name and Region when the stack does not exist (exit 4)', () => {
    // Prepare
    const missing = new CloudFormationServiceException({
      name: 'ValidationError',
      $fault: 'client',
      $metadata: {},
      message: 'Stack with id Nope does not exist',
    });

    // Act
    const error = fromAwsError(missing, 'describe the stack Nope');

    // Assess
    expect(error.exitCode).toBe(EXIT.notFound);
    expect(error.message).toContain('Stack with id Nope does not exist');
    expect(error.hint).toContain('--stack / EGRESS_WARDEN_STACK and --region');
  });

  it('reports a missing resource of the stack as not found (exit 4)', () => {
    // Prepare
    const missing = new DynamoDBServiceException({
      name: 'ResourceNotFoundException',
      $fault: 'client',
      $metadata: {},
      message: 'Requested resource not found',
    });

    // Act
    const error = fromAwsError(missing, 'read the decision table');

    // Assess
    expect(error.exitCode).toBe(EXIT.notFound);
    expect(error.hint).toContain('redeploy');
  });

  it('asks for a Region when none is configured (exit 2)', () => {
    // Act
    const error = fromAwsError(new Error('Region is missing'), 'describe the stack');

    // Assess
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.hint).toContain('--region');
  });

  it('reports any other failure as exit 1 naming the action, and passes a CliError through', () => {
    // Prepare
    const own = new CliError('already explained', EXIT.refused);

    // Act
    const other = fromAwsError(new Error('socket hang up'), 'list the decisions');

    // Assess
    expect(other.exitCode).toBe(EXIT.failed);
    expect(other.message).toBe('cannot list the decisions: socket hang up');
    expect(fromAwsError(own, 'anything')).toBe(own);
  });
});

describe('fromRefusedEvent', () => {
  it('reports a refused event with its code and message (exit 1), nothing recorded', () => {
    // Act
    const error = fromRefusedEvent(
      { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error' },
      'EgressWarden-bus',
    );

    // Assess
    expect(error.exitCode).toBe(EXIT.failed);
    expect(error.message).toBe(
      'the bus EgressWarden-bus refused the event: InternalFailure: Internal service error',
    );
    expect(error.hint).toContain('try again');
  });

  it('reports a bus that denies the caller as exit 5 with the operator policy', () => {
    // Act
    const error = fromRefusedEvent({ ErrorCode: 'AccessDeniedException' }, 'EgressWarden-bus');

    // Assess
    expect(error.exitCode).toBe(EXIT.denied);
    expect(error.hint).toContain('OperatorPolicyArn');
  });
});
