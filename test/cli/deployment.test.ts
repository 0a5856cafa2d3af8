import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliError, EXIT } from '#shared/cli/errors';
import { aDeployment, captureContext, REGION, stackOutputs } from './harness';

const cloudFormation = mockClient(CloudFormationClient);

afterEach(() => {
  cloudFormation.reset();
});

function stack(outputs = stackOutputs()) {
  return {
    Stacks: [
      {
        StackName: 'EgressWarden',
        StackStatus: 'CREATE_COMPLETE' as const,
        CreationTime: new Date(),
        Outputs: outputs,
      },
    ],
  };
}

describe('the deployment from the stack outputs', () => {
  it('reads every output of the stack named by --stack, in the Region given', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand, { StackName: 'Prod-Warden' }).resolves(stack());
    const { ctx } = captureContext({ options: { stack: 'Prod-Warden' } });

    // Act
    const deployment = await ctx.deployment();

    // Assess
    expect(deployment).toEqual(aDeployment({ stackName: 'Prod-Warden', region: REGION }));
  });

  it('takes the stack name from EGRESS_WARDEN_STACK when --stack is not given', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand, { StackName: 'FromEnv' }).resolves(stack());
    const { ctx } = captureContext({ env: { EGRESS_WARDEN_STACK: 'FromEnv' } });

    // Act
    const deployment = await ctx.deployment();

    // Assess
    expect(deployment.stackName).toBe('FromEnv');
  });

  it("takes the configuration's stack name, else EgressWarden", async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).resolves(stack());
    const configured = captureContext({ options: { config: 'egress-warden.config.json' } });
    const none = captureContext({ options: { config: '/nonexistent/egress-warden.config.json' } });

    // Act
    const fromConfig = await configured.ctx.deployment();
    const byDefault = await none.ctx.deployment();

    // Assess
    expect(fromConfig.stackName).toBe((await configured.ctx.config()).stackName);
    expect(byDefault.stackName).toBe('EgressWarden');
  });

  it('leaves out the outputs of parts that are not deployed', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).resolves(
      stack(
        stackOutputs({
          DomainListId: undefined,
          RuleGroupArn: undefined,
          DetectorTableName: undefined,
          DetectorFailureQueueUrl: undefined,
        }),
      ),
    );
    const { ctx } = captureContext();

    // Act
    const deployment = await ctx.deployment();

    // Assess
    expect(deployment).not.toHaveProperty('domainListId');
    expect(deployment).not.toHaveProperty('ruleGroupArn');
    expect(deployment).not.toHaveProperty('detectorTableName');
    expect(deployment.busName).toBe('EgressWarden-bus');
  });

  it('reads the stack once however often it is asked for', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).resolves(stack());
    const { ctx } = captureContext();

    // Act
    await Promise.all([ctx.deployment(), ctx.deployment()]);
    await ctx.deployment();

    // Assess
    expect(cloudFormation).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
  });

  it('names a missing required output and says the stack may be of another version (exit 4)', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).resolves(stack(stackOutputs({ EventBusName: undefined })));
    const { ctx } = captureContext();

    // Act
    const error = (await ctx.deployment().catch((e: unknown) => e)) as CliError;

    // Assess
    expect(error.exitCode).toBe(EXIT.notFound);
    expect(error.message).toBe(
      `stack EgressWarden in ${REGION} has no output EventBusName: it is not an Egress Warden stack, or of another version`,
    );
  });

  it('says to check --stack and --region when the stack does not exist (exit 4)', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: {},
        message: 'Stack with id Nope does not exist',
      }),
    );
    const { ctx } = captureContext({ options: { stack: 'Nope' } });

    // Act
    const error = (await ctx.deployment().catch((e: unknown) => e)) as CliError;

    // Assess
    expect(error.exitCode).toBe(EXIT.notFound);
    expect(error.message).toContain('Stack with id Nope does not exist');
    expect(error.hint).toContain('--stack / EGRESS_WARDEN_STACK and --region');
  });

  it('asks for credentials when there are none (exit 5)', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );
    const { ctx } = captureContext();

    // Act
    const error = (await ctx.deployment().catch((e: unknown) => e)) as CliError;

    // Assess
    expect(error.exitCode).toBe(EXIT.denied);
    expect(error.hint).toContain('aws configure');
  });
});
