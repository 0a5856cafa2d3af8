/**
 * Fuzzed events through the whole loop: intake, decide (handleEvent) and enforce (reconcile) on the in-memory
 * targets. Every event either is decided or fails with InvalidInputError, within a time bound, and afterwards
 * the targets hold nothing but indicators the parser accepted from a block signal and the guard rails let
 * through. Extends test/intake/event.test.ts (toCommands alone) to what reaches a target.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cidrContains } from '#domain/cidr';
import { InvalidInputError } from '#domain/errors';
import { protectionOf } from '#domain/guard-rails';
import { parseIndicator } from '#domain/indicator';
import { blockedByRules } from '#domain/reconcile/network-firewall-plan';
import { toCommands } from '#shared/intake/event';
import { reconcile } from '#shared/use-cases/enforce/reconcile';
import { handleEvent } from '#shared/use-cases/handle-event';
import { loadEvent } from '../support/events';
import { createWarden, reservedDenies, targetState, type Warden } from '../support/warden';
import { hostileString, indicatorLike } from './hostile-strings';
import { sized } from './long';

/** The most one event may take through intake and decide. */
const PER_EVENT_MS = 2_000;
/** The longest refusal an event may produce: a huge field must not flood a log line. */
const MAX_MESSAGE = 2_048;

const SAMPLES = [
  'guardduty/c2-domain.json',
  'guardduty/c2-ip-outbound.json',
  'guardduty/allowlisted-domain.json',
  'manual/block-request.json',
  'manual/block-request-permanent-cidr.json',
  'manual/unblock-request.json',
  'manual/pause.json',
  'manual/resume.json',
  'detectors/dns-tunnel-signal.json',
];

/** Where each sample carries its indicator, so that structured mutations aim at it. */
const INDICATOR_PATHS: readonly (readonly string[])[] = [
  ['detail', 'indicator'],
  ['detail', 'service', 'action', 'dnsRequestAction', 'domain'],
  ['detail', 'service', 'action', 'networkConnectionAction', 'remoteIpDetails', 'ipAddressV4'],
];

/** A valid sample with its indicator replaced (where it has one there). */
const withIndicator = fc
  .tuple(fc.constantFrom(...SAMPLES), fc.constantFrom(...INDICATOR_PATHS), indicatorLike, fc.uuid())
  .map(([path, at, indicator, id]) => ({ ...setAt(loadEvent(path), at, indicator), id }));

/** A valid sample with one field somewhere (chosen by position) replaced by junk or a hostile string. */
const withMutation = fc
  .tuple(
    fc.constantFrom(...SAMPLES),
    fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
    fc.oneof(fc.jsonValue(), hostileString, indicatorLike),
  )
  .map(([path, keys, value]) => replaceAt(loadEvent(path), keys, value));

const anyEvent = fc.oneof(
  { weight: 3, arbitrary: withIndicator },
  { weight: 3, arbitrary: withMutation },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.object() },
);

describe('fuzzed events through decide and enforce', () => {
  it('decide each or refuse it with InvalidInputError, and reach no target with anything unexpected', async () => {
    let events = 0;
    let refused = 0;
    let enforced = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(anyEvent, { minLength: 1, maxLength: 6 }), async (batch) => {
        // Prepare
        const warden = createWarden();
        const accepted = new Set<string>();

        // Act
        for (const event of batch) {
          events += 1;
          const started = performance.now();
          const expected = commandsOrError(event, warden);
          const outcome = await handleEvent(event, warden.deps).catch((error: unknown) => error);
          expect(performance.now() - started).toBeLessThan(PER_EVENT_MS);
          if (expected instanceof Error) {
            refused += 1;
            expect(outcome).toBeInstanceOf(InvalidInputError);
            expect((outcome as Error).message).toBe(expected.message);
            expect(expected.message.length).toBeLessThanOrEqual(MAX_MESSAGE);
            continue;
          }
          expect(outcome).not.toBeInstanceOf(Error);
          for (const command of expected) {
            if (command.kind === 'signal' && command.signal.intent === 'block') {
              accepted.add(command.signal.indicator.value);
            }
          }
        }
        await reconcile(warden.deps);

        // Assess
        enforced += expectOnlyAccepted(warden, accepted);
      }),
      { numRuns: sized(300, 10_000), timeout: 30_000 },
    );
    expect(events).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    expect(enforced).toBeGreaterThan(0);
    console.info(
      `fuzzed events through decide and enforce: ${events} events, ${refused} refused, ${enforced} target entries checked`,
    );
  }, 120_000);

  it('keep a malformed event from stopping the valid ones next to it', async () => {
    // Prepare
    const warden = createWarden();
    const valid = loadEvent('manual/block-request.json');
    const hostile = setAt(
      loadEvent('manual/block-request.json'),
      ['detail', 'indicator'],
      '198.51.100.9"; sid:1;',
    );

    // Act
    const outcomes = await Promise.all(
      [hostile, valid].map((event) => handleEvent(event, warden.deps).catch((error: unknown) => error)),
    );
    await reconcile(warden.deps);

    // Assess
    expect(outcomes[0]).toBeInstanceOf(InvalidInputError);
    expect((outcomes[0] as InvalidInputError).field).toBe('detail.indicator');
    expect(reservedDenies(warden)).toEqual(['203.0.113.45/32']);
  });
});

/** What intake makes of an event, or the error it throws. */
function commandsOrError(event: unknown, warden: Warden): ReturnType<typeof toCommands> | Error {
  try {
    return toCommands(event, warden.deps.policy, warden.clock.now());
  } catch (error) {
    return error as Error;
  }
}

/** Every value on every target is canonical, not protected, and one the parser accepted from a block signal. */
function expectOnlyAccepted(warden: Warden, accepted: ReadonlySet<string>): number {
  const state = targetState(warden);
  const rules = blockedByRules(state.rules);
  const held = [...state.domains, ...rules.domains, ...rules.ips];
  for (const value of held) {
    // A blocked domain is also written as `*.domain` so that its subdomains are blocked with it.
    expect(accepted).toContain(value.startsWith('*.') && !accepted.has(value) ? value.slice(2) : value);
    const indicator = parseIndicator(value);
    expect(indicator.value).toBe(value);
    expect(protectionOf(indicator, warden.deps.policy)).toBeNull();
  }
  // ACL entries may merge blocked addresses into a covering CIDR: each must be one we own and not protected.
  for (const cidr of reservedDenies(warden)) {
    expect(protectionOf(parseIndicator(cidr), warden.deps.policy)).toBeNull();
    const networks = [...accepted].filter((value) => /^[0-9a-f.:]+\/\d+$/.test(value));
    expect(networks.some((value) => cidrContains(cidr, value))).toBe(true);
  }
  return held.length + reservedDenies(warden).length;
}

/** `event` with the value at a named path set (created where missing). */
function setAt(event: unknown, path: readonly string[], value: unknown): Record<string, unknown> {
  const [key, ...rest] = path;
  if (key === undefined) return value as Record<string, unknown>;
  const object = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  if (rest.length > 0 && !(key in object)) return object;
  return { ...object, [key]: setAt(object[key], rest, value) };
}

/** `event` with the value at a path replaced; each step picks one of the fields there by its position. */
function replaceAt(event: unknown, path: readonly number[], value: unknown): unknown {
  if (path.length === 0 || typeof event !== 'object' || event === null) return value;
  const [position = 0, ...rest] = path;
  const existing = Object.keys(event);
  const chosen = existing[position % Math.max(1, existing.length)] ?? 'extra';
  const copy = (Array.isArray(event) ? [...event] : { ...event }) as Record<string, unknown>;
  copy[chosen] = replaceAt((event as Record<string, unknown>)[chosen], rest, value);
  return copy;
}
