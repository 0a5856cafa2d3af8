/**
 * Property-based fuzzing of every parser at the edge, with valid inputs whose fields are mutated as well as raw
 * junk. Every input either parses or fails with InvalidInputError (or, for the command line's option values,
 * commander's InvalidArgumentError), with a message of bounded length, within a time bound; none throws
 * anything else. Extends the per-parser properties in test/logs and test/intake with hostile strings, deeper
 * mutations, and the parsers those do not cover (SQS bodies, stream batches, S3 events, configuration,
 * environment, option values).
 */
import { gzipSync } from 'node:zlib';
import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '#domain/duration';
import { InvalidInputError } from '#domain/errors';
import { parseIndicator } from '#domain/indicator';
import { parsePolicy } from '#domain/policy';
import { cliValue, parseTime } from '#shared/cli/parse';
import { parseConfig } from '#shared/config/config';
import { parseDetectorEnvironment, parseEnvironment } from '#shared/config/environment';
import { toCommands } from '#shared/intake/event';
import { decodeSubscriptionEvent, MAX_SUBSCRIPTION_BYTES } from '#shared/logs/cloudwatch-subscription';
import { DEFAULT_FLOW_LOG_FORMAT, parseFlowLogFormat, parseFlowRecord } from '#shared/logs/flow-log';
import { parseQueryLogLine } from '#shared/logs/query-log';
import { parseLogObjectCreated } from '#shared/logs/s3-object-created';
import { parseJsonBody } from '#shared/runtime/error-policy';
import { triggerOf } from '../../functions/enforce/trigger';
import { EXAMPLE_CONFIG } from '../infra/synth';
import { sampleJson } from '../logs/samples';
import { lambdaEnvironment, scheduledEvent } from '../support/lambda-events';
import { VPC_CONTEXT } from '../support/signals';
import { hostileString } from './hostile-strings';
import { sized } from './long';

/** The most one input may take to parse or be refused. */
const PER_INPUT_MS = 1_000;
/** The longest error message an input may produce: a huge input must not flood a log line or an alert. */
const MAX_MESSAGE = 2_048;
const RUNS = sized(300, 20_000);
/** A value as large as an SQS message can carry. */
const HUGE = 'A'.repeat(250_000);

/** Runs per parser, for the report. */
const runs = new Map<string, number>();

/** Parses `input` with `parse` and asserts it either succeeds or throws one of `allowed`, quickly and briefly. */
function parsesOrRefuses(
  name: string,
  parse: () => unknown,
  allowed: readonly (abstract new (...args: never[]) => Error)[] = [InvalidInputError],
): void {
  runs.set(name, (runs.get(name) ?? 0) + 1);
  const started = performance.now();
  try {
    parse();
  } catch (error) {
    if (!allowed.some((type) => error instanceof type)) throw error;
    const message = (error as Error).message;
    expect(message.length).toBeGreaterThan(0);
    expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE);
  } finally {
    expect(performance.now() - started).toBeLessThan(PER_INPUT_MS);
  }
}

/** A JSON value with one field (chosen by position, at any depth) replaced. */
function mutate(base: unknown): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
      fc.oneof(fc.jsonValue(), hostileString, fc.constant(undefined)),
    )
    .map(([path, value]) => replaceAt(base, path, value));
}

const junk = fc.oneof(fc.jsonValue(), fc.object(), hostileString, fc.anything());

describe('fuzzed parsers', () => {
  it('SQS bodies: JSON or InvalidInputError naming the body', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), hostileString, fc.string({ unit: 'binary' })), (body) => {
        parsesOrRefuses('SQS body (parseJsonBody)', () => parseJsonBody(body, 'body'));
      }),
      { numRuns: RUNS },
    );
  });

  it('enforce triggers: a DynamoDB stream batch, a schedule, or InvalidInputError', () => {
    const stream = { Records: [{ eventSource: 'aws:dynamodb', eventName: 'INSERT', dynamodb: {} }] };
    fc.assert(
      fc.property(fc.oneof(mutate(stream), mutate(scheduledEvent('2026-11-28T10:00:00Z')), junk), (event) => {
        parsesOrRefuses('DynamoDB stream / schedule (triggerOf)', () => triggerOf(event));
      }),
      { numRuns: RUNS },
    );
  });

  it('CloudWatch Logs subscriptions: mutated payloads, bad base64, bad gzip', () => {
    const payload = sampleJson('cwlogs-subscription-lambda-event-powertools.decoded.json.sample');
    const wrap = (data: string) => ({ awslogs: { data } });
    fc.assert(
      fc.property(
        fc.oneof(
          mutate(payload).map((value) => wrap(gzipSync(JSON.stringify(value) ?? '').toString('base64'))),
          fc.uint8Array().map((bytes) => wrap(gzipSync(bytes).toString('base64'))),
          fc.uint8Array().map((bytes) => wrap(Buffer.from(bytes).toString('base64'))),
          hostileString.map(wrap),
          mutate(wrap('H4sIAAAAAAAAA6uuBQBDv6ajAgAAAA==')),
          junk,
        ),
        (event) => {
          parsesOrRefuses('CloudWatch Logs subscription (decodeSubscriptionEvent)', () =>
            decodeSubscriptionEvent(event),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('CloudWatch Logs subscriptions: a gzip bomb of any ratio is refused at the cap, quickly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 255 }), (extraMiB, byte) => {
        const bomb = gzipSync(Buffer.alloc(MAX_SUBSCRIPTION_BYTES + extraMiB * 1024 * 1024, byte));
        const event = { awslogs: { data: bomb.toString('base64') } };
        parsesOrRefuses('gzip bomb (decodeSubscriptionEvent)', () => {
          decodeSubscriptionEvent(event);
          throw new Error('a gzip bomb was decompressed');
        });
      }),
      { numRuns: sized(3, 20) },
    );
  });

  it('flow-log lines and formats: a record, a malformed record or InvalidInputError, never a throw', () => {
    const line =
      '2 123456789012 eni-0a1b2c3d 10.20.1.15 198.51.100.7 49152 443 6 10 840 1700000000 1700000060 ACCEPT OK';
    const tokens = line.split(' ');
    const mutatedLine = fc
      .tuple(fc.nat({ max: tokens.length - 1 }), hostileString)
      .map(([at, value]) => tokens.map((token, i) => (i === at ? value : token)).join(' '));
    fc.assert(
      fc.property(fc.oneof(mutatedLine, hostileString, fc.string({ unit: 'binary' })), (text) => {
        parsesOrRefuses('flow-log line (parseFlowRecord)', () => {
          const entry = parseFlowRecord(text, DEFAULT_FLOW_LOG_FORMAT, 1);
          expect(['flow', 'flow-status', 'malformed']).toContain(entry.kind);
        });
        parsesOrRefuses('flow-log format (parseFlowLogFormat)', () => parseFlowLogFormat(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('query-log lines: a record or a malformed record, never a throw', () => {
    const sample = sampleJson('r53-query-log-docs-example-block.json.sample');
    fc.assert(
      fc.property(
        fc.oneof(
          mutate(sample).map((value) => JSON.stringify(value) ?? ''),
          hostileString,
          fc.json(),
        ),
        (text) => {
          parsesOrRefuses('query-log line (parseQueryLogLine)', () => {
            const entry = parseQueryLogLine(text, 1);
            expect(['query', 'malformed']).toContain(entry.kind);
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('S3 Object Created events: a log object or InvalidInputError', () => {
    const sample = sampleJson('s3-object-created-eventbridge-docs.json.sample');
    fc.assert(
      fc.property(fc.oneof(mutate(sample), junk), (event) => {
        parsesOrRefuses('S3 Object Created (parseLogObjectCreated)', () => parseLogObjectCreated(event));
      }),
      { numRuns: RUNS },
    );
  });

  it('configuration files: a configuration or InvalidInputError', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 4, arbitrary: mutate(EXAMPLE_CONFIG) }, junk), (input) => {
        parsesOrRefuses('configuration (parseConfig)', () => parseConfig(input));
      }),
      { numRuns: RUNS },
    );
  });

  it('environment: the variables or InvalidInputError naming the variable', () => {
    const env: Record<string, string> = {
      ...lambdaEnvironment('EgressWarden-DecisionTable'),
      WARDEN_BUS_NAME: 'EgressWarden-bus',
      DETECTOR_TABLE_NAME: 'EgressWarden-DetectorTable',
      FEEDS_BUCKET: 'egress-warden-feeds',
    };
    const keys = Object.keys(env);
    const mutatedEnv = fc
      .tuple(fc.nat({ max: keys.length - 1 }), fc.oneof(hostileString, fc.json(), fc.constant(undefined)))
      .map(([at, value]) => ({ ...env, [keys[at] as string]: value }));
    const configText = fc
      .tuple(mutate(JSON.parse(env.EGRESS_WARDEN_CONFIG ?? '{}')))
      .map(([config]) => ({ ...env, EGRESS_WARDEN_CONFIG: JSON.stringify(config) }));
    fc.assert(
      fc.property(fc.oneof(mutatedEnv, configText), (variables) => {
        parsesOrRefuses('environment (parseEnvironment)', () => parseEnvironment(variables));
        parsesOrRefuses('environment (parseDetectorEnvironment)', () => parseDetectorEnvironment(variables));
      }),
      { numRuns: RUNS },
    );
  });

  it("the command line's option values: the value or commander's InvalidArgumentError", () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, fc.string(), fc.date().map(String)), (value) => {
        parsesOrRefuses('CLI --since/--until (parseTime)', () => parseTime(value), [InvalidArgumentError]);
        parsesOrRefuses(
          'CLI --ttl (cliValue(parseDuration))',
          () => cliValue(() => parseDuration(value, 'ttl')),
          [InvalidArgumentError],
        );
        parsesOrRefuses(
          'CLI <indicator> (cliValue(parseIndicator))',
          () => cliValue(() => parseIndicator(value)),
          [InvalidArgumentError],
        );
      }),
      { numRuns: RUNS },
    );
  });

  it.each([
    ["a manual request's ttl", () => parseDuration(HUGE, 'detail.ttl')],
    ['a configuration field of the wrong type', () => parseConfig({ ...EXAMPLE_CONFIG, vpcs: HUGE })],
    ['a configuration field that is not a known one', () => parseConfig({ ...EXAMPLE_CONFIG, [HUGE]: 1 })],
    ['a timestamp given to the command line', () => parseTime(HUGE)],
    [
      'an event source that is not handled',
      () =>
        toCommands(
          { source: HUGE, 'detail-type': HUGE, detail: {} },
          parsePolicy({}, VPC_CONTEXT),
          new Date(),
        ),
    ],
  ])('repeat only the start of a huge value: %s', (_, parse) => {
    // Act
    let message = '';
    try {
      parse();
    } catch (error) {
      message = (error as Error).message;
    }

    // Assess: the refusal names the value, cut, so that a 256 KB message cannot flood a log line.
    expect(message).toContain('AAAA');
    expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE);
  });

  it('report their run counts', () => {
    const lines = [...runs].map(([name, count]) => `${name}: ${count}`);
    console.info(`fuzz runs per parser:\n${lines.join('\n')}`);
    expect(runs.size).toBeGreaterThanOrEqual(12);
  });
});

/** `value` with the value at a path replaced; each step picks one of the fields there by its position. */
function replaceAt(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const [position = 0, ...rest] = path;
  const existing = Object.keys(value);
  const chosen = existing[position % Math.max(1, existing.length)] ?? 'extra';
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>;
  copy[chosen] = replaceAt((value as Record<string, unknown>)[chosen], rest, replacement);
  return copy;
}
