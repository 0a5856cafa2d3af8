/**
 * The command line's argument parsing, fuzzed end to end: `block`, `unblock`, `check` and `explain` with
 * hostile indicators, reasons, durations, severities and target lists, against a test deployment (the
 * decision table on dynalite, the bus and the targets in memory). Every run ends with a documented exit code
 * and an `egress-warden:` message, never an unexpected error; whatever it sends is delivered through the
 * intake, and the targets then hold only valid, canonical values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIndicator } from '#domain/indicator';
import { parseOwnRules } from '#domain/reconcile/network-firewall-plan';
import { EXIT } from '#shared/cli/errors';
import { startTestDeployment } from '../cli/deployment-fixture';
import { useDynalite } from '../support/dynalite';
import { hostileString, indicatorLike } from './hostile-strings';
import { sized } from './long';

/** The most one command line may take: everything it calls answers at once. */
const PER_RUN_MS = 5_000;
/** Exit codes a fuzzed command line may end with: no service is failing, so never 1 (failed). */
const EXPECTED_CODES: readonly number[] = [EXIT.ok, EXIT.usage, EXIT.refused, EXIT.notFound];

const dynalite = useDynalite();

const option = (name: string, value: fc.Arbitrary<string>) =>
  fc.option(
    value.map((text) => [name, text]),
    { nil: undefined },
  );

const reason = option('--reason', fc.oneof(fc.constant('INC-4711 exfiltration'), hostileString));
const ttl = option('--ttl', fc.oneof(fc.constantFrom('4h', '7d', 'PT4H', '0s', '99999w'), hostileString));
const severity = option(
  '--severity',
  fc.oneof(fc.constantFrom('0', '8', '10', '11', '-1', 'NaN', '1e309'), hostileString),
);
const targets = option(
  '--targets',
  fc.oneof(fc.constantFrom('dnsFirewall', 'networkAcls,networkFirewall', ''), hostileString),
);
const indicator = fc.oneof({ weight: 2, arbitrary: fc.domain() }, { weight: 3, arbitrary: indicatorLike });
const extra = fc.oneof(
  { weight: 4, arbitrary: fc.constant([]) },
  {
    weight: 1,
    arbitrary: fc.array(fc.oneof(hostileString, fc.constantFrom('--json', '--permanent', '--', '-')), {
      maxLength: 2,
    }),
  },
);

/** A command line of each command, with the options it takes, hostile values among them. */
const argv = fc
  .oneof(
    fc.tuple(fc.constant('block'), indicator, reason, ttl, severity, targets, extra),
    fc.tuple(fc.constant('unblock'), indicator, reason, extra),
    fc.tuple(fc.constant('check'), indicator, ttl, targets, extra),
    fc.tuple(fc.constant('explain'), indicator, extra),
  )
  .map((parts) => parts.flatMap((part) => (part === undefined ? [] : part)));

describe('fuzzed command lines', () => {
  it('end with a documented exit code and a message, and send only what the intake accepts', async () => {
    const deployment = await startTestDeployment(dynalite);
    const codes = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(argv, async (args) => {
          // Act
          const started = performance.now();
          const run = await deployment.cli(...args);
          await deployment.deliver();

          // Assess
          expect(performance.now() - started).toBeLessThan(PER_RUN_MS);
          codes.set(run.code, (codes.get(run.code) ?? 0) + 1);
          expect(EXPECTED_CODES, `${JSON.stringify(args)}: ${run.stderr}`).toContain(run.code);
          if (run.code === EXIT.refused) expect(run.stderr).toMatch(/^egress-warden: /m);
          expect(run.stderr).not.toMatch(/TypeError|ReferenceError|RangeError|\n\s+at /);
        }),
        { numRuns: sized(60, 2_000) },
      );
      const { dnsFirewall, networkFirewall, networkAcls } = deployment.warden;
      for (const name of dnsFirewall.snapshot()) expect(parseIndicator(name).value).toBe(name);
      for (const entry of networkAcls.snapshot().flatMap((acl) => acl.egress)) {
        expect(parseIndicator(entry.cidr).value).toBe(entry.cidr);
      }
      expect(parseOwnRules(networkFirewall.snapshot().rules).foreign).toEqual([]);
      console.info(`fuzzed command lines, by exit code: ${JSON.stringify(Object.fromEntries(codes))}`);
      expect(codes.size).toBeGreaterThan(1);
    } finally {
      deployment.restore();
    }
  }, 120_000);
});
