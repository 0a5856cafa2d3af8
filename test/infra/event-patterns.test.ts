import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from '../support/event-pattern';
import { EVENTS_DIR } from '../support/events';
import { synthTemplate } from './synth';

interface InboundRule {
  readonly id: string;
  /** `default`, or the logical id of the bus the rule is on. */
  readonly bus: string;
  readonly pattern: unknown;
}

const template = synthTemplate();
const wardenBus = Object.keys(template.findResources('AWS::Events::EventBus'))[0] as string;
const logsBucket = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) =>
  id.startsWith('EgressWardenLogsBucket'),
) as string;

/** The logs bucket's name in the sample S3 events (the real one is only known at deploy time). */
const SAMPLE_LOGS_BUCKET = 'egress-warden-logs-sample';

/** A pattern with the logs bucket's `{ Ref }` replaced by the samples' bucket name. */
function withBucketName(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withBucketName);
  if (typeof value !== 'object' || value === null) return value;
  if ((value as { Ref?: unknown }).Ref === logsBucket) return SAMPLE_LOGS_BUCKET;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withBucketName(inner)]));
}

/** Every rule with an event pattern (schedules have none), read from the synthesized template. */
const rules: InboundRule[] = Object.entries(template.findResources('AWS::Events::Rule'))
  .filter(([, rule]) => rule.Properties.EventPattern !== undefined)
  .map(([id, rule]) => ({
    id,
    bus: (rule.Properties.EventBusName as { Ref: string } | undefined)?.Ref ?? 'default',
    pattern: withBucketName(rule.Properties.EventPattern),
  }));

function ruleId(prefix: string): string {
  const rule = rules.find((candidate) => candidate.id.startsWith(`EgressWarden${prefix}`));
  if (!rule) throw new Error(`no rule ${prefix}`);
  return rule.id;
}

/** The rules an event put on `bus` reaches: EventBridge only matches it against that bus's rules. */
function rulesReached(event: unknown, bus: string): string[] {
  return rules
    .filter((rule) => rule.bus === bus && matchesEventPattern(rule.pattern, event))
    .map((rule) => rule.id);
}

function samples(folder: string, root = EVENTS_DIR): [string, Record<string, unknown>][] {
  return readdirSync(join(root, folder))
    .filter((file) => file.endsWith('.json'))
    .map((file) => [`${folder}/${file}`, JSON.parse(readFileSync(join(root, folder, file), 'utf8'))]);
}

/** The S3 Object Created samples of AWS log files (kept out of events/, which the simulation replays). */
const S3_SAMPLES = samples('s3-events', fileURLToPath(new URL('.', import.meta.url)));

describe('the inbound rules, as synthesized', () => {
  it('are five: GuardDuty and new log files on the default bus, manual requests and Threat Signals on the warden bus', () => {
    expect(rules.map((rule) => [rule.id.replace(/[0-9A-F]{8}$/, ''), rule.bus]).sort()).toEqual([
      ['EgressWardenDetectDnsLogObjectRule', 'default'],
      ['EgressWardenDetectFlowsLogObjectRule', 'default'],
      ['EgressWardenGuardDutyFindingRule', 'default'],
      ['EgressWardenManualRequestRule', wardenBus],
      ['EgressWardenThreatSignalRule', wardenBus],
    ]);
  });

  it.each(S3_SAMPLES.filter(([name]) => !name.includes('hive')))(
    'send %s from the default bus to its detector only',
    (name, event) => {
      const detector = name.includes('query-log') ? 'DetectDnsLogObjectRule' : 'DetectFlowsLogObjectRule';
      expect(rulesReached(event, 'default')).toEqual([ruleId(detector)]);
      expect(rulesReached(event, wardenBus)).toEqual([]);
    },
  );

  it.each(samples('guardduty'))('send %s from the default bus to the GuardDuty rule only', (_, event) => {
    expect(rulesReached(event, 'default')).toEqual([ruleId('GuardDutyFindingRule')]);
    expect(rulesReached(event, wardenBus)).toEqual([]);
  });

  it.each(samples('manual'))('send %s from the warden bus to the manual rule only', (_, event) => {
    expect(rulesReached(event, wardenBus)).toEqual([ruleId('ManualRequestRule')]);
    expect(rulesReached(event, 'default')).toEqual([]);
  });

  it.each(samples('detectors'))('send %s from the warden bus to the Threat Signal rule only', (_, event) => {
    expect(rulesReached(event, wardenBus)).toEqual([ruleId('ThreatSignalRule')]);
    expect(rulesReached(event, 'default')).toEqual([]);
  });

  it('send a Reset Breaker request to the manual rule', () => {
    const [, block] = samples('manual')[0] as [string, Record<string, unknown>];
    const reset = {
      ...block,
      'detail-type': 'Reset Breaker',
      detail: { requestedBy: 'alice@example.com', reason: 'x' },
    };
    expect(rulesReached(reset, wardenBus)).toEqual([ruleId('ManualRequestRule')]);
  });

  it.each([
    ['a detector source', { source: 'egress-warden.detectors' }],
    ['a look-alike source', { source: 'egress-warden.manual.evil' }],
    ['a GuardDuty source', { source: 'aws.guardduty' }],
    ['an unknown detail type', { 'detail-type': 'Allow Everything' }],
    ['a Threat Signal detail type', { 'detail-type': 'Threat Signal' }],
  ])('drop a manual request with %s', (_, change) => {
    const [, block] = samples('manual')[0] as [string, Record<string, unknown>];
    const spoofed = { ...block, ...change };
    expect(rulesReached(spoofed, wardenBus)).toEqual([]);
    expect(rulesReached(spoofed, 'default')).toEqual([]);
  });

  it('drop a Threat Signal from a manual source', () => {
    const [, signal] = samples('detectors')[0] as [string, Record<string, unknown>];
    expect(rulesReached({ ...signal, source: 'egress-warden.manual' }, wardenBus)).toEqual([]);
  });

  it('drop a GuardDuty event of another detail type', () => {
    const [, finding] = samples('guardduty')[0] as [string, Record<string, unknown>];
    expect(
      rulesReached(
        { ...finding, 'detail-type': 'GuardDuty Malware Protection Object Scan Result' },
        'default',
      ),
    ).toEqual([]);
  });
});
