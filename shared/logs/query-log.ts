/**
 * Route 53 Resolver query logs: one JSON record a line in S3 files, one record a log event through CloudWatch
 * Logs. Names are normalised (lowercased, trailing dot removed) and the raw line is kept for evidence.
 */
import { isIpAddress } from './address';
import type { SubscriptionLogEvent } from './cloudwatch-subscription';
import type { FileLine } from './lines';
import { type MalformedRecord, malformed, quoted } from './malformed';

/** One answer of a query, as logged (AWS capitalises these keys: `Rdata`, `Type`, `Class`). */
export interface QueryAnswer {
  readonly rdata: string;
  readonly type: string;
  readonly class: string;
}

/** One DNS query as the Resolver logged it. */
export interface QueryLogRecord {
  readonly kind: 'query';
  /** Line number in a file, log event id in a subscription batch. */
  readonly position: number | string;
  /** Lowercased, without the trailing dot AWS writes: `15.3.4.32.in-addr.arpa`. The root stays `.`. */
  readonly queryName: string;
  /** A, AAAA, TXT, NULL, PTR, ANY, … */
  readonly queryType: string;
  readonly queryClass?: string;
  /** NOERROR, NXDOMAIN, SERVFAIL, … */
  readonly rcode: string;
  readonly answers: readonly QueryAnswer[];
  /** The client's address and source port (AWS writes the port as a string). */
  readonly srcaddr: string;
  readonly srcport: number;
  readonly transport?: string;
  /** `srcids.instance`: the instance that asked, when the query came from one. */
  readonly instanceId?: string;
  /** `srcids.resolver_endpoint`: the inbound endpoint the query came through. */
  readonly resolverEndpoint?: string;
  readonly vpcId?: string;
  readonly accountId?: string;
  readonly region?: string;
  /** As logged, ISO 8601 UTC. */
  readonly queryTimestamp: string;
  /** The same instant, epoch milliseconds. */
  readonly time: number;
  /** Only when a DNS Firewall rule with ALERT or BLOCK matched. */
  readonly firewallRuleAction?: string;
  readonly firewallRuleGroupId?: string;
  readonly firewallDomainListId?: string;
  /** The line as read, for a signal's evidence. */
  readonly raw: string;
}

/** What one line of a query log becomes. */
export type QueryLogEntry = QueryLogRecord | MalformedRecord;

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const PORT = /^\d{1,5}$/;

/**
 * Parses one query-log record. Never throws: text that is not a JSON object, or a required field missing or
 * of the wrong type (`query_name`, `query_type`, `rcode`, `srcaddr`, `srcport`, `query_timestamp`), makes a
 * malformed record naming the field and the value.
 */
export function parseQueryLogLine(line: string, position: number | string): QueryLogEntry {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return malformed(position, `is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return malformed(position, `is not a JSON object: ${quoted(line)}`);
  }
  const record = value as Record<string, unknown>;
  const problem = (field: string) =>
    malformed(
      position,
      record[field] === undefined ? `${field} is missing` : `${field} ${quoted(record[field])} is not valid`,
    );

  const name = record.query_name;
  if (typeof name !== 'string' || name.length === 0) return problem('query_name');
  for (const field of ['query_type', 'rcode']) {
    if (typeof record[field] !== 'string' || record[field] === '') return problem(field);
  }
  const srcaddr = record.srcaddr;
  if (typeof srcaddr !== 'string' || !isIpAddress(srcaddr)) return problem('srcaddr');
  const portText = typeof record.srcport === 'number' ? String(record.srcport) : record.srcport;
  const srcport = typeof portText === 'string' && PORT.test(portText) ? Number(portText) : Number.NaN;
  if (!(srcport <= 65_535)) return problem('srcport');
  const queryTimestamp = record.query_timestamp;
  const time =
    typeof queryTimestamp === 'string' && TIMESTAMP.test(queryTimestamp)
      ? Date.parse(queryTimestamp)
      : Number.NaN;
  if (Number.isNaN(time)) return problem('query_timestamp');
  const answers = record.answers ?? [];
  if (!Array.isArray(answers)) return problem('answers');
  const srcids = record.srcids;
  if (srcids !== undefined && (typeof srcids !== 'object' || srcids === null || Array.isArray(srcids))) {
    return problem('srcids');
  }
  const ids = (srcids ?? {}) as Record<string, unknown>;

  const lower = name.toLowerCase();
  return {
    kind: 'query',
    position,
    queryName: lower.length > 1 && lower.endsWith('.') ? lower.slice(0, -1) : lower,
    queryType: record.query_type as string,
    queryClass: optional(record.query_class),
    rcode: record.rcode as string,
    answers: answers.flatMap(toAnswer),
    srcaddr,
    srcport,
    transport: optional(record.transport),
    instanceId: optional(ids.instance),
    resolverEndpoint: optional(ids.resolver_endpoint),
    vpcId: optional(record.vpc_id),
    accountId: optional(record.account_id),
    region: optional(record.region),
    queryTimestamp: queryTimestamp as string,
    time,
    firewallRuleAction: optional(record.firewall_rule_action),
    firewallRuleGroupId: optional(record.firewall_rule_group_id),
    firewallDomainListId: optional(record.firewall_domain_list_id),
    raw: line,
  };
}

/** An answer the detectors can use; anything without a string `Rdata` carries nothing to match and is left out. */
function toAnswer(answer: unknown): QueryAnswer[] {
  if (typeof answer !== 'object' || answer === null) return [];
  const { Rdata, Type, Class } = answer as Record<string, unknown>;
  if (typeof Rdata !== 'string') return [];
  return [{ rdata: Rdata, type: optional(Type) ?? '', class: optional(Class) ?? '' }];
}

function optional(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Parses the lines of a query-log file; blank lines are skipped, malformed lines from the reader pass through. */
export async function* parseQueryLogLines(
  lines: AsyncIterable<FileLine | MalformedRecord>,
): AsyncGenerator<QueryLogEntry> {
  for await (const item of lines) {
    if (item.kind === 'malformed') yield item;
    else if (item.line.trim() !== '') yield parseQueryLogLine(item.line, item.lineNumber);
  }
}

/** Parses the log events of a subscription batch from a query log delivered to CloudWatch Logs. */
export function parseQueryLogEvents(events: readonly SubscriptionLogEvent[]): QueryLogEntry[] {
  return events.map((event) => parseQueryLogLine(event.message, event.id));
}
