/**
 * Rule injection through every path that reaches a target or an alert: hostile strings (quotes, semicolons,
 * line breaks, NUL, look-alike characters, over-long labels) in indicators, reasons, requestedBy, detector
 * names, evidence, workload fields, finding titles and feed lines. Each is either refused at intake or made
 * harmless where it is rendered: Suricata rules (our own parser and, when it is on the PATH, the real
 * Suricata), DNS Firewall names, SNS subjects and bodies, and the chat notification.
 */
import { domainToASCII } from 'node:url';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { SnsAlerts } from '#adapters/aws/alerts';
import type { Alert } from '#domain/alert';
import { parseDomainFeed } from '#domain/detect/domain-feeds';
import { IP_FEED_FORMATS, parseIpFeed } from '#domain/detect/ip-feeds';
import { InvalidIndicatorError, InvalidInputError } from '#domain/errors';
import { parseOwnRules } from '#domain/reconcile/network-firewall-plan';
import { reconcile } from '#shared/use-cases/enforce/reconcile';
import { type EventReport, handleEvent } from '#shared/use-cases/handle-event';
import { loadEvent } from '../support/events';
import { fakeSns, TOPIC_ARN } from '../support/fakes/sns';
import { runSuricata, suricataVersion } from '../support/suricata';
import { createWarden, targetState, type Warden } from '../support/warden';
import { HOSTILE_STRINGS, hostileString } from './hostile-strings';
import { sized } from './long';

const CHAT_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:egress-warden-chat';
/** Control, format, surrogate and line/paragraph separator characters: none may survive into one line. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
/** A name as DNS Firewall and our rules take it: LDH labels, optionally `*.` first. */
const SAFE_NAME = /^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/;
/** One of our rules, with nothing but validated values in it. */
const OWN_RULE =
  /^drop (ip|tls|http) any any -> (any|\[[0-9a-f.:/,]+\]) any \(msg:"egress-warden block (ip|tls|tls-wildcard|http|http-wildcard) \d+"; [^\n]*sid:\d+; rev:1;\)$/;

const sns = mockClient(SNSClient);
afterEach(() => {
  sns.reset();
});

/** Where hostile text goes in each kind of event: a path and the sample it is set in. */
const FREE_TEXT: readonly { sample: string; path: readonly string[] }[] = [
  { sample: 'manual/block-request.json', path: ['detail', 'reason'] },
  { sample: 'manual/block-request.json', path: ['detail', 'requestedBy'] },
  { sample: 'manual/unblock-request.json', path: ['detail', 'reason'] },
  { sample: 'manual/unblock-request.json', path: ['detail', 'requestedBy'] },
  { sample: 'manual/pause.json', path: ['detail', 'reason'] },
  { sample: 'manual/pause.json', path: ['detail', 'requestedBy'] },
  { sample: 'manual/resume.json', path: ['detail', 'requestedBy'] },
  { sample: 'detectors/dns-tunnel-signal.json', path: ['detail', 'detector'] },
  { sample: 'detectors/dns-tunnel-signal.json', path: ['detail', 'evidence', 'summary'] },
  { sample: 'detectors/dns-tunnel-signal.json', path: ['detail', 'evidence', 'key'] },
  { sample: 'detectors/dns-tunnel-signal.json', path: ['detail', 'workload', 'instanceId'] },
  { sample: 'detectors/dns-tunnel-signal.json', path: ['detail', 'workload', 'vpcId'] },
  { sample: 'detectors/dns-tunnel-signal.json', path: ['detail', 'workload', 'image'] },
  { sample: 'guardduty/c2-domain.json', path: ['detail', 'title'] },
  { sample: 'guardduty/c2-domain.json', path: ['detail', 'description'] },
  { sample: 'guardduty/c2-domain.json', path: ['detail', 'type'] },
  { sample: 'guardduty/c2-domain.json', path: ['detail', 'resource', 'instanceDetails', 'instanceId'] },
  { sample: 'guardduty/c2-ip-outbound.json', path: ['detail', 'title'] },
];

/** Where an indicator goes in each kind of event. */
const INDICATOR_AT: readonly { sample: string; path: readonly string[] }[] = [
  { sample: 'manual/block-request.json', path: ['detail', 'indicator'] },
  { sample: 'manual/unblock-request.json', path: ['detail', 'indicator'] },
  { sample: 'detectors/dns-tunnel-signal.json', path: ['detail', 'indicator'] },
  { sample: 'guardduty/c2-domain.json', path: ['detail', 'service', 'action', 'dnsRequestAction', 'domain'] },
  {
    sample: 'guardduty/c2-ip-outbound.json',
    path: ['detail', 'service', 'action', 'networkConnectionAction', 'remoteIpDetails', 'ipAddressV4'],
  },
];

describe('hostile text in free-text fields', () => {
  it('is refused at intake or reaches alerts and targets only made harmless', async () => {
    let published = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FREE_TEXT), hostileString, fc.uuid(), async (at, text, id) => {
        // Prepare
        const hostile = setAt({ ...loadEvent(at.sample), id }, at.path, text);
        const benign = setAt({ ...loadEvent(at.sample), id }, at.path, text.trim() === '' ? text : 'x');
        const [attacked, control] = [createWarden(), createWarden()];

        // Act
        const outcome = await run(attacked, hostile);
        const expected = await run(control, benign);

        // Assess
        if (outcome instanceof Error) {
          expect(outcome).toBeInstanceOf(InvalidInputError);
          return;
        }
        accepted += 1;
        expectSafeTargets(attacked);
        const alerts = attacked.alerts.published;
        published += alerts.length;
        for (const alert of alerts) expectSafeAlert(alert);
        // The hostile text adds no line to any message: a reader cannot be shown a forged one.
        if (!(expected instanceof Error)) {
          expect(alerts.map(lineCount)).toEqual(control.alerts.published.map(lineCount));
        }
        await expectSnsAccepts(alerts);
      }),
      { numRuns: sized(150, 2_000), timeout: 30_000 },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(published).toBeGreaterThan(0);
    console.info(`hostile free text: ${accepted} events accepted, ${published} alerts checked and published`);
  }, 300_000);

  it.each(HOSTILE_STRINGS.map((text) => [text.slice(0, 40), text] as const))(
    'keeps the subject of a block requested by %j on one printable line',
    async (_, text) => {
      // Prepare
      const warden = createWarden();
      const event = setAt(loadEvent('manual/block-request.json'), ['detail', 'requestedBy'], text);

      // Act
      const outcome = await run(warden, event);

      // Assess
      if (outcome instanceof Error) return expect(outcome).toBeInstanceOf(InvalidInputError);
      const [alert] = warden.alerts.published;
      expect(alert?.subject).not.toMatch(UNPRINTABLE);
      const line = `Requested by: ${printableOf(text.trim())} (manual request)`;
      expect(alert?.message.split('\n').filter((each) => each.startsWith(line))).toHaveLength(1);
    },
  );
});

describe('hostile indicators', () => {
  it.each(
    INDICATOR_AT.flatMap((at) =>
      [
        'evil.example.com"; sid:1; msg:"x',
        'evil.example.com\nalert ip any any -> any any (sid:1;)',
        'evil.example.com\u0000',
        '198.51.100.7; 0.0.0.0/0',
        `${'a'.repeat(64)}.example.com`,
        'evil\u200b.example.com',
      ].map((text) => [at.sample, text, at.path] as const),
    ),
  )('%s: refuses %j naming the field', async (sample, text, path) => {
    // Prepare
    const warden = createWarden();

    // Act
    const outcome = await run(warden, setAt(loadEvent(sample), path, text));

    // Assess: refused naming the field; or, for a name GuardDuty saw queried, its nearest valid parent is
    // blocked by design (the labels of such a query are attacker-chosen), never the name as written.
    expectSafeTargets(warden);
    if (outcome instanceof Error) {
      expect(outcome).toBeInstanceOf(InvalidIndicatorError);
      expect((outcome as InvalidIndicatorError).field).toMatch(/^detail\./);
      expect(targetState(warden)).toEqual(targetState(createWarden()));
    } else {
      expect(sample).toBe('guardduty/c2-domain.json');
      expect((outcome as EventReport).decisions.map((decision) => decision.indicator)).toEqual([
        'example.com',
      ]);
    }
  });

  it('writes a look-alike (IDN) domain to every target as punycode only', async () => {
    // Prepare: Cyrillic letters that look like "paypal" and "example".
    const warden = createWarden();
    const events = ['раураl.com', 'ex\u0430mple-shop.com'].map((indicator, index) => ({
      ...setAt(loadEvent('manual/block-request.json'), ['detail', 'indicator'], indicator),
      id: `idn-${index}`,
    }));

    // Act
    for (const event of events) await handleEvent(event, warden.deps);
    await reconcile(warden.deps);

    // Assess
    const punycode = ['раураl.com', 'ex\u0430mple-shop.com'].map((name) => domainToASCII(name));
    const { domains, rules } = targetState(warden);
    expect(punycode.every((name) => name.startsWith('xn--'))).toBe(true);
    expect(domains).toEqual(expect.arrayContaining(punycode));
    for (const name of punycode) expect(rules).toContain(name.replaceAll('.', '\\.'));
    expect(rules).not.toMatch(/\P{ASCII}/u);
    expectSafeTargets(warden);
  });
});

describe.skipIf(suricataVersion() === null)(
  'rules written after a hostile flood, on the real Suricata',
  () => {
    it('load without an error and hold only our rules', async () => {
      // Prepare: every hostile string and a sample of generated ones as blocked indicators, one warden.
      const warden = createWarden();
      const texts = [...HOSTILE_STRINGS, ...fc.sample(hostileString, 300), ...fc.sample(fc.domain(), 300)];

      // Act
      for (const [index, text] of texts.entries()) {
        const event = {
          ...setAt(loadEvent('manual/block-request.json'), ['detail', 'indicator'], text),
          id: `${index}`,
        };
        await handleEvent(event, warden.deps).catch((error: unknown) => {
          expect(error).toBeInstanceOf(InvalidInputError);
        });
      }
      await reconcile(warden.deps);
      const { rules } = targetState(warden);
      const run = runSuricata(rules);

      // Assess
      expect(parseOwnRules(rules).own.length).toBeGreaterThan(0);
      expectSafeTargets(warden);
      expect(run.status, run.output).toBe(0);
      expect(run.output).not.toMatch(/\bE: /);
    }, 60_000);
  },
);

describe('hostile feed lines', () => {
  it('give only safe names and canonical CIDRs, and report the rest cut short', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(hostileString, fc.domain(), fc.ipV4()), { maxLength: 20 }), (lines) => {
        // Act
        const text = lines.join('\n');
        const domains = parseDomainFeed('hostile', text);
        const ips = IP_FEED_FORMATS.map((format) => parseIpFeed('hostile', format, text));

        // Assess
        for (const name of domains.domains) expect(name).toMatch(SAFE_NAME);
        for (const error of domains.errors) expect(error.text.length).toBeLessThanOrEqual(130);
        for (const feed of ips) {
          for (const entry of feed.entries) expect(entry.cidr).toMatch(/^[0-9a-f.:]+\/\d+$/);
          for (const problem of feed.problems) expect(problem.text.length).toBeLessThanOrEqual(210);
        }
      }),
      { numRuns: sized(300, 10_000) },
    );
  });
});

/** Handles one event and reconciles; the report, or the error intake threw. */
async function run(warden: Warden, event: unknown): Promise<unknown> {
  try {
    const report = await handleEvent(event, warden.deps);
    await reconcile(warden.deps);
    return report;
  } catch (error) {
    return error;
  }
}

/** Targets hold only validated names and addresses, and rules only of our shapes. */
function expectSafeTargets(warden: Warden): void {
  const { domains, rules, acl } = targetState(warden);
  for (const name of domains) expect(name).toMatch(SAFE_NAME);
  for (const entry of acl) expect(entry.cidr).toMatch(/^[0-9a-f.:]+\/\d+$/);
  const parsed = parseOwnRules(rules);
  expect(parsed.foreign).toEqual([]);
  for (const line of parsed.own) expect(line).toMatch(OWN_RULE);
}

/** A subject on one printable line; a message and evidence with no control character but the line breaks. */
function expectSafeAlert(alert: Alert): void {
  expect(alert.subject).not.toMatch(UNPRINTABLE);
  for (const line of alert.message.split('\n')) expect(line).not.toMatch(UNPRINTABLE);
  for (const line of alert.evidence ?? []) expect(line).not.toMatch(UNPRINTABLE);
  for (const value of alert.indicators ?? []) expect(value).toMatch(/^[a-z0-9.:/*-]+$/);
}

/** Publishes the alerts through the SNS adapter to a fake that checks what SNS checks; asserts the chat form. */
async function expectSnsAccepts(alerts: readonly Alert[]): Promise<void> {
  const fake = fakeSns(sns, [TOPIC_ARN, CHAT_TOPIC_ARN]);
  const adapter = new SnsAlerts({
    client: new SNSClient({}),
    topicArn: TOPIC_ARN,
    chatTopicArn: CHAT_TOPIC_ARN,
    sleep: async () => {},
  });
  for (const alert of alerts) await adapter.publish(alert);
  for (const message of fake.published) {
    if (message.topicArn !== CHAT_TOPIC_ARN) continue;
    const chat = JSON.parse(message.message) as { content: { title: string; description: string } };
    expect(chat.content.title).not.toMatch(/[<>&]|[\p{Cc}\p{Zl}\p{Zp}]/u);
    // Free text stays inside the one code block: exactly its opening and closing fence.
    expect(chat.content.description.match(/```/g)).toHaveLength(2);
  }
  expect(fake.published).toHaveLength(alerts.length * 2);
}

function lineCount(alert: Alert): number {
  return alert.message.split('\n').length;
}

/** What the alert templates make of free text: each unprintable character as its escape. */
function printableOf(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu, (char) => {
    const code = char.codePointAt(0) ?? 0;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** `event` with the value at a named path set, when the path exists in it. */
function setAt(event: unknown, path: readonly string[], value: unknown): Record<string, unknown> {
  const [key, ...rest] = path;
  if (key === undefined) return value as Record<string, unknown>;
  const object = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  if (rest.length > 0 && !(key in object)) return object;
  return { ...object, [key]: setAt(object[key], rest, value) };
}
