/**
 * AwsNetworkFirewallRuleGroup with the real NetworkFirewallClient against a loopback server speaking AWS JSON
 * 1.0: requests serialized and SigV4-signed, responses and errors parsed by the SDK core the bundle ships.
 * Wire format checked against botocore's model, boto/botocore
 * `botocore/data/network-firewall/2020-11-12/service-2.json` (metadata: protocol json, jsonVersion 1.0,
 * targetPrefix NetworkFirewall_20201112, signingName network-firewall, sigv4; operations DescribeRuleGroup and
 * UpdateRuleGroup, whose errors include InvalidTokenException). Every scenario runs twice: on the modules as
 * vitest loads them (the SDK's CommonJS build) and on an esbuild bundle built by the functions' own
 * `buildBundle`, whose plugin rewrites the client's schemas module.
 */
import { NetworkFirewallClient } from '@aws-sdk/client-network-firewall';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsNetworkFirewallRuleGroup } from '#adapters/aws/network-firewall';
import { ConcurrentUpdateError } from '#domain/errors';
import { bundledInputs } from '../../../infra/metafile';
import {
  AwsWireError,
  type AwsWireServer,
  sigV4CredentialScope,
  startAwsWireServer,
} from '../../support/aws-wire';
import { type BundledExports, bundleExports } from '../../support/bundled-exports';

const ARN = 'arn:aws:network-firewall:us-east-1:123456789012:stateful-rulegroup/egress-warden';
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const RULE =
  'drop tls $HOME_NET any -> $EXTERNAL_NET any (tls.sni; content:"evil.example.com"; sid:1000001; rev:1;)';

/** One stateful rules-string group with its optimistic update token, replaced on every write. */
class RuleGroupState {
  token = 'token-1';
  revision = 1;
  rules = '';
  readonly variables = { IPSets: { HOME_NET: { Definition: ['10.0.0.0/16'] } } };

  /** A write by someone else: the token this process holds goes stale. */
  changeElsewhere(rules: string): void {
    this.rules = rules;
    this.token = `token-${++this.revision}`;
  }

  response() {
    return {
      RuleGroupArn: ARN,
      RuleGroupName: 'egress-warden',
      RuleGroupId: '11111111-2222-3333-4444-555555555555',
      Type: 'STATEFUL',
      Capacity: 1000,
      RuleGroupStatus: 'ACTIVE',
      Description: 'Egress Warden blocks',
      EncryptionConfiguration: { Type: 'CUSTOMER_KMS', KeyId: KMS_KEY },
    };
  }
}

let server: AwsWireServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function startNetworkFirewall(state: RuleGroupState): Promise<AwsWireServer> {
  server = await startAwsWireServer({
    targetPrefix: 'NetworkFirewall_20201112',
    jsonVersion: '1.0',
    handlers: {
      DescribeRuleGroup: (body) => {
        if (body.RuleGroupArn !== ARN) throw new AwsWireError('ResourceNotFoundException', 'no such group');
        return {
          UpdateToken: state.token,
          RuleGroup: { RuleVariables: state.variables, RulesSource: { RulesString: state.rules } },
          RuleGroupResponse: state.response(),
        };
      },
      UpdateRuleGroup: (body) => {
        if (body.UpdateToken !== state.token) {
          throw new AwsWireError(
            'InvalidTokenException',
            "The token you provided is stale or isn't valid for the operation.",
          );
        }
        state.changeElsewhere(body.RuleGroup.RulesSource.RulesString);
        return { UpdateToken: state.token, RuleGroupResponse: state.response() };
      },
    },
  });
  return server;
}

/** What a scenario runs against: the modules under test, from source or from the bundle. */
interface NetworkFirewallKit {
  readonly NetworkFirewallClient: typeof NetworkFirewallClient;
  readonly AwsNetworkFirewallRuleGroup: typeof AwsNetworkFirewallRuleGroup;
  readonly ConcurrentUpdateError: typeof ConcurrentUpdateError;
}

const SOURCE_KIT: NetworkFirewallKit = {
  NetworkFirewallClient,
  AwsNetworkFirewallRuleGroup,
  ConcurrentUpdateError,
};

/** The scenarios, run against the modules `kitOf()` gives. */
function networkFirewallScenarios(kitOf: () => NetworkFirewallKit): void {
  const ruleGroup = (endpoint: string): AwsNetworkFirewallRuleGroup => {
    const kit = kitOf();
    const client = new kit.NetworkFirewallClient({
      region: 'us-east-1',
      endpoint,
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      },
    });
    return new kit.AwsNetworkFirewallRuleGroup({ client, ruleGroupArn: ARN, sleep: async () => {} });
  };

  it('describes the group with a signed JSON 1.0 DescribeRuleGroup', async () => {
    // Prepare
    const state = new RuleGroupState();
    state.rules = RULE;
    const wire = await startNetworkFirewall(state);

    // Act
    const snapshot = await ruleGroup(wire.endpoint).describe();

    // Assess
    expect(snapshot).toEqual({ rules: RULE, updateToken: 'token-1', capacity: 1000 });
    expect(wire.requests).toHaveLength(1);
    const [request] = wire.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/');
    expect(request?.headers['x-amz-target']).toBe('NetworkFirewall_20201112.DescribeRuleGroup');
    expect(request?.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(request?.body).toEqual({ RuleGroupArn: ARN, Type: 'STATEFUL' });
    expect(sigV4CredentialScope(request?.headers.authorization)).toMatch(
      /^\d{8}\/us-east-1\/network-firewall\/aws4_request$/,
    );
  });

  it('updates with the UpdateToken it described, keeping variables, key and description', async () => {
    // Prepare
    const state = new RuleGroupState();
    const wire = await startNetworkFirewall(state);
    const group = ruleGroup(wire.endpoint);
    const { updateToken } = await group.describe();

    // Act
    const next = await group.update(RULE, updateToken);

    // Assess
    expect(next).toBe('token-2');
    expect(state.rules).toBe(RULE);
    expect(wire.operations()).toEqual(['DescribeRuleGroup', 'UpdateRuleGroup']);
    const update = wire.requests[1];
    expect(update?.headers['x-amz-target']).toBe('NetworkFirewall_20201112.UpdateRuleGroup');
    expect(update?.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(update?.body).toEqual({
      RuleGroupArn: ARN,
      Type: 'STATEFUL',
      UpdateToken: 'token-1',
      RuleGroup: { RuleVariables: state.variables, RulesSource: { RulesString: RULE } },
      EncryptionConfiguration: { Type: 'CUSTOMER_KMS', KeyId: KMS_KEY },
      Description: 'Egress Warden blocks',
    });
    expect(sigV4CredentialScope(update?.headers.authorization)).toMatch(
      /^\d{8}\/us-east-1\/network-firewall\/aws4_request$/,
    );
  });

  it('maps InvalidTokenException, after a write elsewhere, to ConcurrentUpdateError', async () => {
    // Prepare
    const state = new RuleGroupState();
    const wire = await startNetworkFirewall(state);
    const group = ruleGroup(wire.endpoint);
    const { updateToken } = await group.describe();
    state.changeElsewhere('# written by someone else');

    // Act
    const error = await group.update(RULE, updateToken).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(kitOf().ConcurrentUpdateError);
    expect(error).toMatchObject({ code: 'InvalidTokenException', retryable: true });
    expect((error as Error).message).toContain("The token you provided is stale or isn't valid");
    expect((error as Error).cause).toMatchObject({
      name: 'InvalidTokenException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    expect(wire.operations()).toEqual(['DescribeRuleGroup', 'UpdateRuleGroup']);
    expect(state.rules).toBe('# written by someone else');
  });
}

describe('AwsNetworkFirewallRuleGroup on the wire (AWS JSON 1.0)', () => {
  networkFirewallScenarios(() => SOURCE_KIT);
});

describe('AwsNetworkFirewallRuleGroup on the wire (AWS JSON 1.0), bundled as the functions ship it', () => {
  let bundle: BundledExports<NetworkFirewallKit> | undefined;

  beforeAll(async () => {
    bundle = await bundleExports<NetworkFirewallKit>('wire-network-firewall-bundle-', [
      "export { NetworkFirewallClient } from '@aws-sdk/client-network-firewall';",
      "export { AwsNetworkFirewallRuleGroup } from '#adapters/aws/network-firewall';",
      "export { ConcurrentUpdateError } from '#domain/errors';",
    ]);
  }, 120_000);

  afterAll(async () => {
    await bundle?.remove();
  });

  it("takes the client's ES module schemas, rewritten so that most of them are dropped", () => {
    // Assess
    const schemas = Object.entries(bundle?.metafile.inputs ?? {}).find(([path]) =>
      /client-network-firewall\/dist-es\/schemas\/schemas_0\.js$/.test(path),
    );
    expect(schemas).toBeDefined();
    const [schemasPath, schemasInput] = schemas as [string, { bytes: number }];
    const kept = bundle ? (bundledInputs(bundle.metafile).get(schemasPath) ?? 0) : 0;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(schemasInput.bytes / 4);
  });

  networkFirewallScenarios(() => {
    if (!bundle) throw new Error('the bundle was not built');
    return bundle.module;
  });
});
