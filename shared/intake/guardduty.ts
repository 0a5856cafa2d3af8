/**
 * GuardDuty findings (EventBridge `source: aws.guardduty`, `detail-type: GuardDuty Finding`) → signals.
 * The finding is read in its EventBridge wire form (camelCase keys).
 */
import * as v from 'valibot';
import { InvalidInputError } from '#domain/errors';
import { type Indicator, parseIndicator } from '#domain/indicator';
import type { Policy } from '#domain/policy';
import type { Signal, Workload } from '#domain/signal';
import { parseWith, TimestampSchema } from '#domain/validate';
import type { Command } from './command';

const text = v.pipe(v.string(), v.minLength(1));

const FindingSchema = v.looseObject({
  id: text,
  arn: v.optional(v.string()),
  type: text,
  title: v.optional(v.string()),
  severity: v.pipe(v.number(), v.minValue(0), v.maxValue(10)),
  accountId: v.optional(v.string()),
  region: v.optional(v.string()),
  updatedAt: TimestampSchema,
  resource: v.optional(
    v.looseObject({
      instanceDetails: v.optional(
        v.looseObject({
          instanceId: v.optional(v.string()),
          networkInterfaces: v.optional(
            v.array(
              v.looseObject({
                networkInterfaceId: v.optional(v.string()),
                subnetId: v.optional(v.string()),
                vpcId: v.optional(v.string()),
              }),
            ),
          ),
        }),
      ),
    }),
  ),
  service: v.looseObject({
    count: v.optional(v.number()),
    eventLastSeen: v.optional(TimestampSchema),
    additionalInfo: v.optional(v.looseObject({ sample: v.optional(v.unknown()) })),
    evidence: v.optional(
      v.looseObject({
        threatIntelligenceDetails: v.optional(
          v.array(
            v.looseObject({
              threatListName: v.optional(v.string()),
              threatNames: v.optional(v.array(v.string())),
            }),
          ),
        ),
      }),
    ),
    action: v.optional(
      v.looseObject({
        dnsRequestAction: v.optional(v.looseObject({ domain: v.optional(v.string()) })),
        networkConnectionAction: v.optional(
          v.looseObject({
            connectionDirection: v.optional(v.string()),
            remoteIpDetails: v.optional(
              v.looseObject({ ipAddressV4: v.optional(v.string()), ipAddressV6: v.optional(v.string()) }),
            ),
          }),
        ),
      }),
    ),
  }),
});

type Finding = v.InferOutput<typeof FindingSchema>;

/** Turns one GuardDuty finding into commands. Throws InvalidInputError naming the field that was wrong. */
export function guardDutyCommands(detail: unknown, policy: Policy): Command[] {
  const finding = parseWith(FindingSchema, detail, 'detail');
  const action = policy.guardDuty.findingTypes.get(finding.type);
  const label = `${finding.type} ${finding.id}`;
  if (!action) {
    return [
      {
        kind: 'ignored',
        label,
        reason: `finding type ${finding.type} is not an egress finding Egress Warden handles`,
      },
    ];
  }
  const indicators: Indicator[] = [];
  if (action === 'remote-ip') {
    const connection = finding.service.action?.networkConnectionAction;
    if (!connection) {
      throw new InvalidInputError(
        `is required for finding type ${finding.type}`,
        'detail.service.action.networkConnectionAction',
      );
    }
    if (connection.connectionDirection !== 'OUTBOUND') {
      const direction = connection.connectionDirection ?? 'missing';
      return [
        { kind: 'ignored', label, reason: `connection direction is ${direction}, not OUTBOUND: not egress` },
      ];
    }
    const remote = connection.remoteIpDetails;
    const field = 'detail.service.action.networkConnectionAction.remoteIpDetails';
    if (remote?.ipAddressV4) indicators.push(parseIndicator(remote.ipAddressV4, `${field}.ipAddressV4`));
    if (remote?.ipAddressV6) indicators.push(parseIndicator(remote.ipAddressV6, `${field}.ipAddressV6`));
    if (indicators.length === 0)
      throw new InvalidInputError('has neither ipAddressV4 nor ipAddressV6', field);
  } else {
    const field = 'detail.service.action.dnsRequestAction.domain';
    const domain = finding.service.action?.dnsRequestAction?.domain;
    if (!domain) throw new InvalidInputError(`is required for finding type ${finding.type}`, field);
    const parsed = parseIndicator(domain, field);
    if (parsed.kind !== 'domain')
      throw new InvalidInputError(`${JSON.stringify(domain)} is not a domain name`, field);
    // Exfiltration varies the queried labels, so the zone is what has to be blocked.
    const zone =
      action === 'registered-domain' && parsed.registeredDomain
        ? parseIndicator(parsed.registeredDomain, field)
        : parsed;
    indicators.push(zone);
  }
  return indicators.map((indicator) => ({ kind: 'signal', signal: toSignal(finding, indicator) }));
}

function toSignal(finding: Finding, indicator: Indicator): Signal {
  const { service } = finding;
  const threats = (service.evidence?.threatIntelligenceDetails ?? []).map(
    (t) => `threat list ${t.threatListName ?? 'unknown'}: ${(t.threatNames ?? []).join(', ') || 'unnamed'}`,
  );
  return {
    source: 'guardduty',
    intent: 'block',
    indicator,
    severity: finding.severity,
    detector: finding.type,
    evidence: {
      key: `guardduty:${finding.id}`,
      summary: finding.title ?? finding.type,
      details: [
        ...(finding.arn ? [finding.arn] : []),
        ...(service.count !== undefined ? [`seen ${service.count} times`] : []),
        ...threats,
      ],
    },
    workload: workloadOf(finding),
    observedAt: service.eventLastSeen ?? finding.updatedAt,
    sample: isSample(service.additionalInfo?.sample),
  };
}

function workloadOf(finding: Finding): Workload {
  const instance = finding.resource?.instanceDetails;
  const eni = instance?.networkInterfaces?.[0];
  const workload: Record<string, string | undefined> = {
    account: finding.accountId,
    region: finding.region,
    vpcId: eni?.vpcId,
    subnetId: eni?.subnetId,
    instanceId: instance?.instanceId,
    eniId: eni?.networkInterfaceId,
  };
  return Object.fromEntries(Object.entries(workload).filter(([, value]) => value)) as Workload;
}

/** "Generate sample findings" sets `sample: true`; some tools write it as the string "true". */
function isSample(value: unknown): boolean {
  return value === true || value === 'true';
}
