/**
 * GuardDuty findings (EventBridge `source: aws.guardduty`, `detail-type: GuardDuty Finding`) → signals.
 * The finding is read in its EventBridge wire form (camelCase keys).
 */
import { domainToASCII } from 'node:url';
import * as v from 'valibot';
import { excerpt, InvalidIndicatorError, InvalidInputError } from '#domain/errors';
import type { FindingAction } from '#domain/finding-types';
import {
  type DomainIndicator,
  type Indicator,
  isGuardDutyPlaceholder,
  isSubdomainOrSame,
  parseIndicator,
  registeredDomainOf,
} from '#domain/indicator';
import type { Policy } from '#domain/policy';
import type { Signal, Workload } from '#domain/signal';
import { parseWith, TimestampSchema } from '#domain/validate';
import type { Command } from './command';

const text = v.pipe(v.string(), v.minLength(1));
const name = v.optional(v.string());
const container = v.looseObject({ name, image: name });

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
      lambdaDetails: v.optional(
        v.looseObject({
          functionName: name,
          functionArn: name,
          vpcConfig: v.optional(v.looseObject({ vpcId: name, subnetIds: v.optional(v.array(v.string())) })),
        }),
      ),
      ecsClusterDetails: v.optional(
        v.looseObject({
          name,
          taskDetails: v.optional(v.looseObject({ containers: v.optional(v.array(container)) })),
        }),
      ),
      eksClusterDetails: v.optional(v.looseObject({ name, vpcId: name })),
      containerDetails: v.optional(container),
    }),
  ),
  service: v.looseObject({
    count: v.optional(v.number()),
    archived: v.optional(v.boolean()),
    eventLastSeen: v.optional(TimestampSchema),
    additionalInfo: v.optional(
      v.looseObject({ sample: v.optional(v.unknown()), value: v.optional(v.unknown()) }),
    ),
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
        dnsRequestAction: v.optional(v.looseObject({ domain: name, domainWithSuffix: name })),
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
        source: 'guardduty',
        label,
        reason: `finding type ${finding.type} is not an egress finding Egress Warden handles`,
      },
    ];
  }
  if (action === 'remote-ip') {
    const connection = finding.service.action?.networkConnectionAction;
    if (!connection) {
      // Some Runtime and Lambda findings describe the connection elsewhere, or not at all.
      return [
        {
          kind: 'ignored',
          source: 'guardduty',
          label,
          reason: `the finding has no networkConnectionAction: no remote address to block`,
        },
      ];
    }
    if (connection.connectionDirection !== 'OUTBOUND') {
      const direction = connection.connectionDirection ?? 'missing';
      const why =
        direction === 'UNKNOWN'
          ? 'GuardDuty could not tell who started the connection (UNKNOWN): not treated as egress'
          : `connection direction is ${direction}, not OUTBOUND: not egress`;
      return [{ kind: 'ignored', source: 'guardduty', label, reason: why }];
    }
    const remote = connection.remoteIpDetails;
    const field = 'detail.service.action.networkConnectionAction.remoteIpDetails';
    const indicators: Indicator[] = [];
    if (remote?.ipAddressV4) indicators.push(parseIndicator(remote.ipAddressV4, `${field}.ipAddressV4`));
    if (remote?.ipAddressV6) indicators.push(parseIndicator(remote.ipAddressV6, `${field}.ipAddressV6`));
    if (indicators.length === 0)
      throw new InvalidInputError('has neither ipAddressV4 nor ipAddressV6', field);
    return indicators.map((indicator) => ({ kind: 'signal', signal: toSignal(finding, indicator) }));
  }
  const { indicator, note } = dnsTarget(finding, action);
  return [{ kind: 'signal', signal: toSignal(finding, indicator, note) }];
}

const DOMAIN_FIELD = 'detail.service.action.dnsRequestAction.domain';

/** Longest queried name looked at for a fallback: DNS allows 253 characters, so this is generous. */
const MAX_QUERIED_NAME = 1_000;

/** What a DNS finding blocks, with a note for the evidence when that is not the queried name as written. */
function dnsTarget(
  finding: Finding,
  action: Exclude<FindingAction, 'remote-ip'>,
): { indicator: DomainIndicator; note?: string } {
  const dns = finding.service.action?.dnsRequestAction;
  const queried = dns?.domain;
  if (!queried) throw new InvalidInputError(`is required for finding type ${finding.type}`, DOMAIN_FIELD);
  return action === 'registered-domain'
    ? zoneOf(queried, dns?.domainWithSuffix)
    : queriedNameOrParent(queried);
}

/**
 * The registered domain of an exfiltration query. The queried labels are the payload (base64url and the
 * like, so `_` and odd labels are expected) and are not blocked: only the zone has to be a valid entry.
 * GuardDuty's `domainWithSuffix` is taken when it is a valid name that the query lies under and not a public
 * suffix (its list may lack the private section: `cloudfront.net`); otherwise the zone is computed.
 */
function zoneOf(
  queried: string,
  withSuffix: string | undefined,
): { indicator: DomainIndicator; note: string } {
  const query = looseName(queried);
  const given = withSuffix === undefined ? undefined : domainOrUndefined(withSuffix);
  const fromGuardDuty =
    given && !given.wildcard && given.registeredDomain !== null && isSubdomainOrSame(query, given.value);
  const registered = registeredDomainOf(query);
  const zone = fromGuardDuty ? given : domainOnly(registered ?? queried);
  const source = fromGuardDuty ? "GuardDuty's domainWithSuffix" : 'the Public Suffix List';
  return {
    indicator: zone,
    note: `queried name ${quoted(queried)}: blocking its registered domain ${zone.value} (by ${source}), because the labels of an exfiltration query change with every query`,
  };
}

/**
 * The queried name, or when it is not a valid DNS Firewall entry (an underscore, a label DNS Firewall refuses)
 * its nearest parent that is, down to the registered domain and never above it: a public suffix is no fallback.
 */
function queriedNameOrParent(queried: string): { indicator: DomainIndicator; note?: string } {
  try {
    return { indicator: domainOnly(queried) };
  } catch (error) {
    if (!(error instanceof InvalidIndicatorError) || isGuardDutyPlaceholder(queried)) throw error;
    const query = looseName(queried);
    const registered = query.length <= MAX_QUERIED_NAME ? registeredDomainOf(query) : null;
    if (registered === null) throw error;
    const labels = query.split('.');
    const lowest = labels.length - registered.split('.').length;
    for (let start = 1; start <= lowest; start++) {
      const parent = domainOrUndefined(labels.slice(start).join('.'));
      if (parent && parent.registeredDomain !== null) {
        return {
          indicator: parent,
          note: `queried name ${quoted(queried)} is not a valid DNS Firewall entry (${error.rule}): blocking its nearest valid parent ${parent.value}`,
        };
      }
    }
    throw error;
  }
}

/** A name as a resolver saw it: trimmed, lower case, without the final dot, IDNs in punycode when possible. */
function looseName(raw: string): string {
  let loose = raw.trim().toLowerCase();
  if (loose.endsWith('.')) loose = loose.slice(0, -1);
  return /\P{ASCII}/u.test(loose) ? domainToASCII(loose) || loose : loose;
}

/** Parses a domain for the domain field; an address or a CIDR is refused there. */
function domainOnly(raw: string): DomainIndicator {
  const parsed = parseIndicator(raw, DOMAIN_FIELD);
  if (parsed.kind !== 'domain')
    throw new InvalidInputError(`${quoted(raw)} is not a domain name`, DOMAIN_FIELD);
  return parsed;
}

function domainOrUndefined(raw: string): DomainIndicator | undefined {
  try {
    return domainOnly(raw);
  } catch (error) {
    if (error instanceof InvalidInputError) return undefined;
    throw error;
  }
}

/** A value quoted for evidence, cut so that a huge one cannot flood a record or an alert. */
function quoted(value: string): string {
  return JSON.stringify(excerpt(value, 256));
}

function toSignal(finding: Finding, indicator: Indicator, note?: string): Signal {
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
        ...(note ? [note] : []),
        ...(finding.arn ? [finding.arn] : []),
        ...(service.count !== undefined ? [`seen ${service.count} times`] : []),
        ...threats,
      ],
    },
    workload: workloadOf(finding),
    observedAt: service.eventLastSeen ?? finding.updatedAt,
    sample: isSample(service.additionalInfo),
    ...(service.archived === true ? { archived: true } : {}),
  };
}

/** Where the finding happened: an EC2 instance, a Lambda function, or an ECS or EKS container. */
function workloadOf(finding: Finding): Workload {
  const resource = finding.resource;
  const instance = resource?.instanceDetails;
  const eni = instance?.networkInterfaces?.[0];
  const lambda = resource?.lambdaDetails;
  const ecs = resource?.ecsClusterDetails;
  const eks = resource?.eksClusterDetails;
  const container = resource?.containerDetails ?? ecs?.taskDetails?.containers?.[0];
  const workload: Record<keyof Workload, string | undefined> = {
    account: finding.accountId,
    region: finding.region,
    vpcId: eni?.vpcId ?? lambda?.vpcConfig?.vpcId ?? eks?.vpcId,
    // A VPC Lambda function runs in any of its subnets; the finding does not say which.
    subnetId: eni?.subnetId ?? lambda?.vpcConfig?.subnetIds?.join(', '),
    instanceId: instance?.instanceId,
    eniId: eni?.networkInterfaceId,
    functionName: lambda?.functionName,
    functionArn: lambda?.functionArn,
    cluster: ecs?.name ?? eks?.name,
    container: container?.name,
    image: container?.image,
  };
  return Object.fromEntries(Object.entries(workload).filter(([, value]) => value)) as Workload;
}

/**
 * "Generate sample findings" sets `sample: true` in `additionalInfo`, or inside its `value` when GuardDuty
 * carries it as `{value: "<JSON text>", type}`; some tools write it as the string "true".
 */
function isSample(additionalInfo: { sample?: unknown; value?: unknown } | undefined): boolean {
  const flag = (value: unknown) => value === true || value === 'true';
  if (flag(additionalInfo?.sample)) return true;
  if (typeof additionalInfo?.value !== 'string') return false;
  try {
    const inner: unknown = JSON.parse(additionalInfo.value);
    return typeof inner === 'object' && inner !== null && flag((inner as { sample?: unknown }).sample);
  } catch {
    return false;
  }
}
