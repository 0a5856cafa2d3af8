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

/** One traffic record (`log-status` OK, or no `log-status` in the format). Fields the format lacks or marks `-` are absent. */
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

type Target = { -readonly [K in Exclude<keyof FlowRecord, 'logStatus'>]?: FlowRecord[K] } & {
  logStatus?: string;
};
/** Stores a field's value in the record, or returns why it cannot. */
type FieldParser = (record: Target, token: string) => string | undefined;

const DIGITS = /^\d{1,16}$/;

function integer(property: keyof FlowRecord, max: number): FieldParser {
  return (record, token) => {
    const value = DIGITS.test(token) ? Number(token) : Number.NaN;
    if (!(value <= max)) return `is not an integer from 0 to ${max}`;
    (record as Record<string, unknown>)[property] = value;
    return undefined;
  };
}

function address(property: keyof FlowRecord): FieldParser {
  return (record, token) => {
    if (!isIpAddress(token)) return 'is not an IP address';
    (record as Record<string, unknown>)[property] = token;
    return undefined;
  };
}

function oneOf(property: keyof FlowRecord, values: readonly string[]): FieldParser {
  return (record, token) => {
    if (!values.includes(token)) return `is not one of ${values.join(', ')}`;
    (record as Record<string, unknown>)[property] = token;
    return undefined;
  };
}

function text(property: keyof FlowRecord): FieldParser {
  return (record, token) => {
    (record as Record<string, unknown>)[property] = token;
    return undefined;
  };
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** The fields with a property of their own, by the name AWS gives them in formats and headers. */
const KNOWN_FIELDS: Readonly<Record<string, FieldParser>> = {
  version: integer('version', 255),
  'account-id': text('accountId'),
  'interface-id': text('interfaceId'),
  srcaddr: address('srcaddr'),
  dstaddr: address('dstaddr'),
  srcport: integer('srcport', 65_535),
  dstport: integer('dstport', 65_535),
  protocol: integer('protocol', 255),
  packets: integer('packets', MAX_SAFE),
  bytes: integer('bytes', MAX_SAFE),
  start: integer('start', MAX_SAFE),
  end: integer('end', MAX_SAFE),
  action: oneOf('action', ['ACCEPT', 'REJECT']),
  'log-status': oneOf('logStatus', ['OK', 'NODATA', 'SKIPDATA']),
  'vpc-id': text('vpcId'),
  'subnet-id': text('subnetId'),
  'instance-id': text('instanceId'),
  'tcp-flags': integer('tcpFlags', 255),
  type: text('type'),
  'pkt-srcaddr': address('pktSrcaddr'),
  'pkt-dstaddr': address('pktDstaddr'),
  region: text('region'),
  'az-id': text('azId'),
  'sublocation-type': text('sublocationType'),
  'sublocation-id': text('sublocationId'),
  'pkt-src-aws-service': text('pktSrcAwsService'),
  'pkt-dst-aws-service': text('pktDstAwsService'),
  'flow-direction': oneOf('flowDirection', ['ingress', 'egress']),
  'traffic-path': integer('trafficPath', 255),
};

/** A flow log's field order, compiled once and used for every record of its file or batch. */
export interface FlowLogFormat {
  /** Field names in order, as AWS spells them (`account-id`, `pkt-dstaddr`). */
  readonly fields: readonly string[];
  readonly parsers: readonly FieldParser[];
}

const FIELD_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** A format from field names in order; throws InvalidInputError for a name that cannot be a field. */
export function flowLogFormatOf(fields: readonly string[]): FlowLogFormat {
  if (fields.length === 0) throw new InvalidInputError('names no fields', 'flow log format');
  const seen = new Set<string>();
  const parsers = fields.map((name) => {
    if (!FIELD_NAME.test(name))
      throw new InvalidInputError(`${quoted(name)} is not a field name`, 'flow log format');
    if (seen.has(name)) throw new InvalidInputError(`${quoted(name)} appears twice`, 'flow log format');
    seen.add(name);
    return KNOWN_FIELDS[name] ?? other(name);
  });
  return { fields, parsers };
}

function other(name: string): FieldParser {
  return (record, token) => {
    record.other ??= {};
    record.other[name] = token;
    return undefined;
  };
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
  if (!names.every((name) => FIELD_NAME.test(name)) || !names.some((name) => name in KNOWN_FIELDS)) {
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
  const tokens = line.trim().split(/\s+/);
  if (tokens.length !== format.fields.length) {
    return malformed(position, `has ${tokens.length} fields, the format has ${format.fields.length}`);
  }
  const record: Target = {};
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index] as string;
    if (token === '-') continue;
    const problem = (format.parsers[index] as FieldParser)(record, token);
    if (problem) return malformed(position, `${format.fields[index]} ${quoted(token)} ${problem}`);
  }
  const status = record.logStatus;
  if (status === 'NODATA' || status === 'SKIPDATA') {
    const { accountId, interfaceId, start, end } = record;
    return { kind: 'flow-status', position, logStatus: status, accountId, interfaceId, start, end };
  }
  return Object.assign(record, { kind: 'flow', position }) as FlowRecord;
}

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
