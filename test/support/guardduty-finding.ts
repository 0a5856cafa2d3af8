/** GuardDuty findings as the SDK's GetFindings returns them, for the catch-up tests. */
import type { Finding } from '@aws-sdk/client-guardduty';

/** What differs between the findings the tests build. */
export interface SdkFindingFields {
  readonly id: string;
  readonly arn: string;
  readonly accountId: string;
  readonly region: string;
  readonly schemaVersion: string;
  readonly severity: number;
  readonly type: string;
  readonly title: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly eventLastSeen: string;
  readonly count: number;
  /** The address the instance connected to. */
  readonly remoteIp: string;
}

/**
 * An outbound network connection finding (PascalCase, `additionalInfo` as JSON text) on an instance of
 * vpc-0a1b2c3d4e5f60718.
 */
export function sdkFinding(fields: SdkFindingFields): Finding {
  return {
    AccountId: fields.accountId,
    Arn: fields.arn,
    CreatedAt: fields.createdAt,
    Id: fields.id,
    Region: fields.region,
    SchemaVersion: fields.schemaVersion,
    Severity: fields.severity,
    Type: fields.type,
    UpdatedAt: fields.updatedAt,
    Title: fields.title,
    Resource: {
      ResourceType: 'Instance',
      InstanceDetails: {
        InstanceId: 'i-0a1b2c3d4e5f60718',
        NetworkInterfaces: [{ SubnetId: 'subnet-0a1b2c3d4e5f60718', VpcId: 'vpc-0a1b2c3d4e5f60718' }],
      },
    },
    Service: {
      Action: {
        ActionType: 'NETWORK_CONNECTION',
        NetworkConnectionAction: {
          ConnectionDirection: 'OUTBOUND',
          RemoteIpDetails: { IpAddressV4: fields.remoteIp },
        },
      },
      AdditionalInfo: { Value: '{}', Type: 'default' },
      EventLastSeen: fields.eventLastSeen,
      Archived: false,
      Count: fields.count,
    },
  };
}
