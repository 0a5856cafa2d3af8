/**
 * VPC Flow Logs records, in the default version-2 format or any custom one: one record a line, fields
 * separated by spaces, `-` for a field that does not apply. The fields are named by the header line of an S3
 * file, or by the flow log's format string (`${version} ${account-id} …`) for CloudWatch Logs delivery, whose
 * log events carry no header.
 */

import { InvalidInputError } from '#domain/errors';
import { isIpAddress } from './address';
import type { SubscriptionLogEvent } from './cloudwatch-subscription';
import type { FileLine } from './lines';
import { type MalformedRecord, malformed, quoted } from './malformed';

/** The default format: every version-2 field, in this order. */
export const DEFAULT_FLOW_LOG_FIELDS: readonly string[] = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
];

/**
 * One traffic record (`log-status` OK, or no `log-status` in the format). Fields the format lacks or marks `-`
 * are undefined.
 */
export interface FlowRecord {
  readonly kind: 'flow';
  /** Line number in a file, log event id in a subscription batch. */
  readonly position: number | string;
  version?: number;
  accountId?: string;
  interfaceId?: string;
  srcaddr?: string;
  dstaddr?: string;
  srcport?: number;
  dstport?: number;
  /** IANA protocol number: 6 TCP, 17 UDP, 1 ICMP. */
  protocol?: number;
  packets?: number;
  bytes?: number;
  /** First and last packet of the aggregation interval, epoch seconds. */
  start?: number;
  end?: number;
  action?: 'ACCEPT' | 'REJECT';
  logStatus?: 'OK';
  vpcId?: string;
  subnetId?: string;
  instanceId?: string;
  /** SYN 2, RST 4, FIN 1, SYN-ACK 18; OR-ed over the interval. */
  tcpFlags?: number;
  /** IPv4, IPv6 or EFA. */
  type?: string;
  /** The packet's own addresses where they differ from the interface's (NAT gateway, secondary IPs, pods). */
  pktSrcaddr?: string;
  pktDstaddr?: string;
  region?: string;
  azId?: string;
  sublocationType?: string;
  sublocationId?: string;
  /** The AWS service the address belongs to (`S3`, `AMAZON`, …): AWS's own traffic, not exfiltration. */
  pktSrcAwsService?: string;
  pktDstAwsService?: string;
  flowDirection?: 'ingress' | 'egress';
  /** Egress path: 1 same VPC, 2 internet or gateway endpoint, … 8 internet gateway (see aws-facts.md §6.1). */
  trafficPath?: number;
  /** Fields this parser has no property for (v7 ECS fields, `reject-reason`, future ones), by their name. */
  other?: Record<string, string>;
  /** The line as read, for a signal's evidence. */
  raw: string;
}

/** A `NODATA` (no traffic in the interval) or `SKIPDATA` (records skipped) record: not traffic. */
export interface FlowStatusRecord {
  readonly kind: 'flow-status';
  readonly position: number | string;
  readonly logStatus: 'NODATA' | 'SKIPDATA';
  readonly accountId?: string;
  readonly interfaceId?: string;
  readonly start?: number;
  readonly end?: number;
}

/** What one line of a flow log becomes. */
export type FlowLogEntry = FlowRecord | FlowStatusRecord | MalformedRecord;

/** A field's value from its token, or INVALID. */
type FieldParser = (token: string) => unknown;

const INVALID = Symbol('invalid');

/** A non-negative decimal integer up to `max`, without a sign, exponent or leading zeros; INVALID otherwise. */
function integer(max: number): FieldParser {
  return (token) => {
    const length = token.length;
    if (length === 0 || length > 16 || (length > 1 && token.charCodeAt(0) === 48)) return INVALID;
    let value = 0;
    for (let index = 0; index < length; index += 1) {
      const digit = token.charCodeAt(index) - 48;
      if (digit < 0 || digit > 9) return INVALID;
      value = value * 10 + digit;
    }
    return value <= max ? value : INVALID;
  };
}

const address: FieldParser = (token) => (isIpAddress(token) ? token : INVALID);

function oneOf(values: readonly string[]): FieldParser {
  return (token) => (values.includes(token) ? token : INVALID);
}

const text: FieldParser = (token) => token;

interface FieldSpec {
  /** The record property the field fills. */
  readonly property: Exclude<keyof FlowRecord, 'kind' | 'position' | 'other'> | 'logStatus';
  readonly parse: FieldParser;
  /** What a valid value is, for the reason of a malformed record. */
  readonly expected?: string;
}

const int = (property: FieldSpec['property'], max: number): FieldSpec => ({
  property,
  parse: integer(max),
  expected: `an integer from 0 to ${max}`,
});
const ip = (property: FieldSpec['property']): FieldSpec => ({
  property,
  parse: address,
  expected: 'an IP address',
});
const word = (property: FieldSpec['property'], values: readonly string[]): FieldSpec => ({
  property,
  parse: oneOf(values),
  expected: `one of ${values.join(', ')}`,
});
const str = (property: FieldSpec['property']): FieldSpec => ({ property, parse: text });

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** The fields with a property of their own, by the name AWS gives them in formats and headers. */
const KNOWN_FIELDS: Readonly<Record<string, FieldSpec>> = {
  version: int('version', 255),
  'account-id': str('accountId'),
  'interface-id': str('interfaceId'),
  srcaddr: ip('srcaddr'),
  dstaddr: ip('dstaddr'),
  srcport: int('srcport', 65_535),
  dstport: int('dstport', 65_535),
  protocol: int('protocol', 255),
  packets: int('packets', MAX_SAFE),
  bytes: int('bytes', MAX_SAFE),
  start: int('start', MAX_SAFE),
  end: int('end', MAX_SAFE),
  action: word('action', ['ACCEPT', 'REJECT']),
  'log-status': word('logStatus', ['OK', 'NODATA', 'SKIPDATA']),
  'vpc-id': str('vpcId'),
  'subnet-id': str('subnetId'),
  'instance-id': str('instanceId'),
  'tcp-flags': int('tcpFlags', 255),
  type: str('type'),
  'pkt-srcaddr': ip('pktSrcaddr'),
  'pkt-dstaddr': ip('pktDstaddr'),
  region: str('region'),
  'az-id': str('azId'),
  'sublocation-type': str('sublocationType'),
  'sublocation-id': str('sublocationId'),
  'pkt-src-aws-service': str('pktSrcAwsService'),
  'pkt-dst-aws-service': str('pktDstAwsService'),
  'flow-direction': word('flowDirection', ['ingress', 'egress']),
  'traffic-path': int('trafficPath', 255),
};

/** A flow log's field order, compiled once and used for every record of its file or batch. */
export interface FlowLogFormat {
  /** Field names in order, as AWS spells them (`account-id`, `pkt-dstaddr`). */
  readonly fields: readonly string[];
  /** Per field, how to read it; undefined for a field kept by name in `other`. */
  readonly specs: readonly (FieldSpec | undefined)[];
  /** Per record property, the index of its field, or -1 when the format lacks it. */
  readonly slots: Readonly<Record<FieldSpec['property'], number>>;
}

const FIELD_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** A format from field names in order; throws InvalidInputError for a name that cannot be a field. */
export function flowLogFormatOf(fields: readonly string[]): FlowLogFormat {
  if (fields.length === 0) throw new InvalidInputError('names no fields', 'flow log format');
  const slots = Object.fromEntries(Object.values(KNOWN_FIELDS).map((spec) => [spec.property, -1])) as Record<
    FieldSpec['property'],
    number
  >;
  const specs = fields.map((name, index) => {
    if (!FIELD_NAME.test(name))
      throw new InvalidInputError(`${quoted(name)} is not a field name`, 'flow log format');
    if (fields.indexOf(name) !== index)
      throw new InvalidInputError(`${quoted(name)} appears twice`, 'flow log format');
    const spec = Object.hasOwn(KNOWN_FIELDS, name) ? KNOWN_FIELDS[name] : undefined;
    if (spec) slots[spec.property] = index;
    return spec;
  });
  return { fields, specs, slots };
}

/** The default version-2 format. */
export const DEFAULT_FLOW_LOG_FORMAT: FlowLogFormat = flowLogFormatOf(DEFAULT_FLOW_LOG_FIELDS);

/**
 * The format of a flow log from its format string, as configured (`LogFormat` of CreateFlowLogs): fields as
 * `${name}` separated by spaces. Throws InvalidInputError naming the part that is not `${name}`.
 */
export function parseFlowLogFormat(format: string): FlowLogFormat {
  const names = format
    .trim()
    .split(/\s+/)
    .map((part) => {
      const match = /^\$\{([^}]+)\}$/.exec(part);
      if (!match?.[1]) {
        throw new InvalidInputError(
          `${quoted(part)} in ${quoted(format, 200)} is not \${field-name}`,
          'flow log format',
        );
      }
      return match[1];
    });
  return flowLogFormatOf(names);
}

/**
 * The format named by a header line (the first line of every text file AWS writes to S3), or undefined when
 * the line is a record rather than a header: a header is field names only, at least one of them a known one.
 */
export function flowLogFormatFromHeader(line: string): FlowLogFormat | undefined {
  const names = line.trim().split(/\s+/);
  if (
    !names.every((name) => FIELD_NAME.test(name)) ||
    !names.some((name) => Object.hasOwn(KNOWN_FIELDS, name))
  ) {
    return undefined;
  }
  return flowLogFormatOf(names);
}

/**
 * Parses one record in `format`. Never throws: a wrong number of fields or a field that does not parse (a bad
 * address, a port over 65535, an unknown action) makes a malformed record naming the field and the value.
 */
export function parseFlowRecord(
  line: string,
  format: FlowLogFormat,
  position: number | string,
): FlowLogEntry {
  const tokens = line.trim().split(WHITESPACE);
  const { fields, specs, slots } = format;
  if (tokens.length !== fields.length) {
    return malformed(position, `has ${tokens.length} fields, the format has ${fields.length}`);
  }
  const values: unknown[] = new Array(tokens.length);
  let other: Record<string, string> | undefined;
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index] as string;
    if (token === '-') continue;
    const spec = specs[index];
    if (spec === undefined) {
      other ??= {};
      other[fields[index] as string] = token;
      continue;
    }
    const value = spec.parse(token);
    if (value === INVALID)
      return malformed(position, `${fields[index]} ${quoted(token)} is not ${spec.expected}`);
    values[index] = value;
  }
  // Reading by slot builds every record with one shape, which keeps property access fast for the detectors.
  const at = (slot: number) => (slot < 0 ? undefined : values[slot]) as never;
  const logStatus = at(slots.logStatus) as string | undefined;
  if (logStatus === 'NODATA' || logStatus === 'SKIPDATA') {
    return {
      kind: 'flow-status',
      position,
      logStatus,
      accountId: at(slots.accountId),
      interfaceId: at(slots.interfaceId),
      start: at(slots.start),
      end: at(slots.end),
    };
  }
  return {
    kind: 'flow',
    position,
    version: at(slots.version),
    accountId: at(slots.accountId),
    interfaceId: at(slots.interfaceId),
    srcaddr: at(slots.srcaddr),
    dstaddr: at(slots.dstaddr),
    srcport: at(slots.srcport),
    dstport: at(slots.dstport),
    protocol: at(slots.protocol),
    packets: at(slots.packets),
    bytes: at(slots.bytes),
    start: at(slots.start),
    end: at(slots.end),
    action: at(slots.action),
    logStatus: at(slots.logStatus),
    vpcId: at(slots.vpcId),
    subnetId: at(slots.subnetId),
    instanceId: at(slots.instanceId),
    tcpFlags: at(slots.tcpFlags),
    type: at(slots.type),
    pktSrcaddr: at(slots.pktSrcaddr),
    pktDstaddr: at(slots.pktDstaddr),
    region: at(slots.region),
    azId: at(slots.azId),
    sublocationType: at(slots.sublocationType),
    sublocationId: at(slots.sublocationId),
    pktSrcAwsService: at(slots.pktSrcAwsService),
    pktDstAwsService: at(slots.pktDstAwsService),
    flowDirection: at(slots.flowDirection),
    trafficPath: at(slots.trafficPath),
    other,
    raw: line,
  };
}

const WHITESPACE = /\s+/;

/**
 * Parses the lines of a flow-log file. The first line, if it is a header, names the fields; otherwise
 * `format` does (the default version-2 format when not given). Blank lines are skipped; malformed lines from
 * the line reader pass through.
 */
export async function* parseFlowLogLines(
  lines: AsyncIterable<FileLine | MalformedRecord>,
  format: FlowLogFormat = DEFAULT_FLOW_LOG_FORMAT,
): AsyncGenerator<FlowLogEntry> {
  let current = format;
  let first = true;
  for await (const item of lines) {
    if (item.kind === 'malformed') {
      yield item;
      continue;
    }
    if (item.line.trim() === '') continue;
    if (first) {
      first = false;
      const header = flowLogFormatFromHeaderOrError(item);
      if (header) {
        if ('kind' in header) yield header;
        else current = header;
        continue;
      }
    }
    yield parseFlowRecord(item.line, current, item.lineNumber);
  }
}

function flowLogFormatFromHeaderOrError(item: FileLine): FlowLogFormat | MalformedRecord | undefined {
  try {
    return flowLogFormatFromHeader(item.line);
  } catch (error) {
    return malformed(item.lineNumber, `header ${(error as Error).message}`);
  }
}

/**
 * Parses the log events of a subscription batch from a flow log delivered to CloudWatch Logs: one record an
 * event, no header, so the fields come from the flow log's configured `format`.
 */
export function parseFlowLogEvents(
  events: readonly SubscriptionLogEvent[],
  format: FlowLogFormat = DEFAULT_FLOW_LOG_FORMAT,
): FlowLogEntry[] {
  return events.map((event) => parseFlowRecord(event.message, format, event.id));
}
