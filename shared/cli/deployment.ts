/**
 * Finds a deployment of Egress Warden from its CloudFormation stack's outputs (named by infra/egress-warden.ts
 * `#outputs()`), so an operator names a stack and never copies resource names around.
 */
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CliError, EXIT, fromAwsError } from './errors';

/** The resources of one deployed stack. Optional ones exist only when their part is deployed. */
export interface Deployment {
  readonly stackName: string;
  readonly region: string;
  /** The warden bus, where manual requests go. */
  readonly busName: string;
  /** The decision table. */
  readonly tableName: string;
  /** The alert topic. */
  readonly topicArn: string;
  readonly decideQueueUrl: string;
  /** Events `decide` could not handle. */
  readonly deadLetterQueueUrl: string;
  /** The managed policy that lets an identity send manual requests. */
  readonly operatorPolicyArn?: string;
  /** Set when the DNS Firewall target is deployed. */
  readonly domainListId?: string;
  /** Set when the Network Firewall target is deployed. */
  readonly ruleGroupArn?: string;
  /** Set when the log detectors are deployed. */
  readonly detectorTableName?: string;
  readonly detectorFailureQueueUrl?: string;
}

/** The stack output behind each field of a Deployment. */
const OUTPUT_KEYS = {
  busName: 'EventBusName',
  tableName: 'DecisionTableName',
  topicArn: 'AlertTopicArn',
  decideQueueUrl: 'DecideQueueUrl',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  operatorPolicyArn: 'OperatorPolicyArn',
  domainListId: 'DomainListId',
  ruleGroupArn: 'RuleGroupArn',
  detectorTableName: 'DetectorTableName',
  detectorFailureQueueUrl: 'DetectorFailureQueueUrl',
} as const;

/** A stack output as DescribeStacks returns it. */
interface StackOutput {
  readonly OutputKey?: string;
  readonly OutputValue?: string;
}

/**
 * Builds a Deployment from a stack's outputs. Throws CliError (exit 4) naming the first required output that
 * is missing, since a stack without it is not Egress Warden or is of another version.
 */
function deploymentFromOutputs(
  stackName: string,
  region: string,
  outputs: readonly StackOutput[],
): Deployment {
  const values = new Map(outputs.map((o) => [o.OutputKey, o.OutputValue]));
  const required = (field: keyof typeof OUTPUT_KEYS): string => {
    const value = values.get(OUTPUT_KEYS[field]);
    if (value) return value;
    throw new CliError(
      `stack ${stackName} in ${region} has no output ${OUTPUT_KEYS[field]}: it is not an Egress Warden stack, or of another version`,
      EXIT.notFound,
      { hint: 'check --stack / EGRESS_WARDEN_STACK, or deploy this version of the stack (npx cdk deploy)' },
    );
  };
  const optional = (field: keyof typeof OUTPUT_KEYS) => {
    const value = values.get(OUTPUT_KEYS[field]);
    return value ? { [field]: value } : {};
  };
  return {
    stackName,
    region,
    busName: required('busName'),
    tableName: required('tableName'),
    topicArn: required('topicArn'),
    decideQueueUrl: required('decideQueueUrl'),
    deadLetterQueueUrl: required('deadLetterQueueUrl'),
    ...optional('operatorPolicyArn'),
    ...optional('domainListId'),
    ...optional('ruleGroupArn'),
    ...optional('detectorTableName'),
    ...optional('detectorFailureQueueUrl'),
  };
}

/**
 * Reads the stack `stackName` with DescribeStacks and builds its Deployment. Throws CliError: exit 4 when the
 * stack does not exist or lacks an output, 5 without credentials or permission, 1 otherwise.
 */
export async function describeDeployment(
  client: CloudFormationClient,
  stackName: string,
): Promise<Deployment> {
  const action = `describe the stack ${stackName} (cloudformation:DescribeStacks)`;
  let region: string;
  let outputs: readonly StackOutput[];
  try {
    region = await client.config.region();
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (!stack) throw notFound(stackName, region);
    outputs = stack.Outputs ?? [];
  } catch (error) {
    throw fromAwsError(error, action);
  }
  return deploymentFromOutputs(stackName, region, outputs);
}

function notFound(stackName: string, region: string): CliError {
  return new CliError(`stack ${stackName} does not exist in ${region}`, EXIT.notFound, {
    hint: 'check --stack / EGRESS_WARDEN_STACK and --region',
  });
}
