import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type { DnsSignal } from '#domain/detect/dns';
import {
  BASELINE_KEEP,
  baselineDeltas,
  type DomainBaseline,
  emptyBaseline,
  exportAllowlist,
  isEstablished,
  mergeBaselines,
  shadowEstablished,
} from '#domain/detect/dns-baseline';
import { NameScreen } from '#domain/detect/dns-names';
import { InvalidInputError } from '#domain/errors';
import { ThreatSignalSchema } from '#shared/intake/threat-signal';
import { DAY, query, T0 } from '../../support/dns-traffic';

const screen = new NameScreen({ allowlist: [], protectedDomains: [], benignDomains: [] });
const THRESHOLDS = { minHosts: 5, minDays: 7 };
const SEVERITIES = { minSeverity: 7, alertMinSeverity: 4 };

/** `hosts` hosts querying `name` on each of `days` days. */
function usage(name: string, hosts: number, days: number, vpcId = 'vpc-0abc1234') {
  return Array.from({ length: hosts * days }, (_, i) =>
    query({
      name,
      vpcId,
      instanceId: `i-${String(i % hosts).padStart(17, '0')}`,
      at: T0 + Math.floor(i / hosts) * DAY,
    }),
  );
}

function learn(queries: Parameters<typeof baselineDeltas>[0]): DomainBaseline {
  return baselineDeltas(queries, screen).get('vpc-0abc1234') ?? emptyBaseline();
}

const signal: DnsSignal = {
  source: 'dns-log',
  indicator: 'github.example',
  severity: 8,
  detector: 'dns-tunnel',
  observedAt: '2026-11-28T10:00:00.000Z',
  evidence: {
    key: 'dns-tunnel 10.0.1.5 github.example @2026-11-28T10:00:00.000Z',
    summary: 'possible DNS tunnel',
    details: ['source host 10.0.1.5'],
  },
  workload: { vpcId: 'vpc-0abc1234' },
};

describe('the established-domain baseline', () => {
  it('establishes a registered domain queried by 5 hosts on 7 days, and not one host or one day short', () => {
    const baseline = learn([
      ...usage('www.github.example', 5, 7),
      ...usage('api.fewhosts.example', 4, 7),
      ...usage('fewdays.example', 5, 6),
    ]);

    expect(isEstablished(baseline, 'github.example', THRESHOLDS)).toBe(true);
    expect(isEstablished(baseline, 'data.www.github.example', THRESHOLDS)).toBe(true);
    expect(isEstablished(baseline, 'fewhosts.example', THRESHOLDS)).toBe(false);
    expect(isEstablished(baseline, 'fewdays.example', THRESHOLDS)).toBe(false);
    expect(exportAllowlist(baseline, THRESHOLDS)).toEqual(['github.example']);
  });

  it('learns only from answered queries of names the screen keeps', () => {
    const nx = usage('gone.example', 5, 7).map((q) => ({ ...q, rcode: 'NXDOMAIN' }));
    const internal = usage('ip-10-0-0-1.ec2.internal', 5, 7);

    expect(learn([...nx, ...internal]).size).toBe(0);
  });

  it('keeps one baseline per VPC', () => {
    const deltas = baselineDeltas(
      [...usage('a.example', 1, 1, 'vpc-1'), ...usage('b.example', 1, 1, 'vpc-2')],
      screen,
    );

    expect([...deltas.keys()].sort()).toEqual(['vpc-1', 'vpc-2']);
    expect([...(deltas.get('vpc-2')?.keys() ?? [])]).toEqual(['b.example']);
  });

  it('merges in any order, idempotently, within the per-domain caps (property)', () => {
    const entry = fc.record({
      hosts: fc.uniqueArray(fc.stringMatching(/^i-[0-9a-f]{4}$/), { maxLength: 40 }),
      days: fc.uniqueArray(fc.integer({ min: 20_000, max: 20_100 }), { maxLength: 40 }),
    });
    const baseline = fc.dictionary(fc.constantFrom('a.example', 'b.example', 'c.example'), entry).map((d) =>
      mergeBaselines(
        emptyBaseline(),
        new Map(
          Object.entries(d).map(([k, e]) => [
            k,
            {
              hosts: [...e.hosts].sort().slice(0, BASELINE_KEEP),
              days: [...e.days].sort((x, y) => y - x).slice(0, BASELINE_KEEP),
            },
          ]),
        ),
      ),
    );
    const plain = (b: DomainBaseline) =>
      Object.fromEntries([...b.entries()].sort(([x], [y]) => (x < y ? -1 : 1)));

    fc.assert(
      fc.property(baseline, baseline, baseline, (a, b, c) => {
        expect(plain(mergeBaselines(a, b))).toEqual(plain(mergeBaselines(b, a)));
        expect(plain(mergeBaselines(mergeBaselines(a, b), c))).toEqual(
          plain(mergeBaselines(a, mergeBaselines(b, c))),
        );
        expect(plain(mergeBaselines(a, a))).toEqual(plain(a));
        for (const e of mergeBaselines(a, b).values()) {
          expect(e.hosts.length).toBeLessThanOrEqual(BASELINE_KEEP);
          expect(e.days.length).toBeLessThanOrEqual(BASELINE_KEEP);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('shadowEstablished', () => {
  const baseline = learn(usage('www.github.example', 5, 7));

  it('makes a signal against an established domain alert-only, saying why in the evidence', () => {
    const guarded = shadowEstablished(signal, () => baseline, THRESHOLDS, SEVERITIES);

    expect(guarded.severity).toBe(4);
    expect(guarded.evidence.key).toBe(signal.evidence.key);
    expect(guarded.evidence.details[0]).toContain(
      'established domain: github.example is queried by at least 5 hosts on at least 7 days in vpc-0abc1234',
    );
    expect(guarded.evidence.summary).toContain('alert only');
    expect(v.safeParse(ThreatSignalSchema, guarded).success).toBe(true);
  });

  it('leaves other domains, other VPCs and address indicators as they are', () => {
    expect(
      shadowEstablished({ ...signal, indicator: 'tunnel.example' }, () => baseline, THRESHOLDS, SEVERITIES),
    ).toEqual({ ...signal, indicator: 'tunnel.example' });
    expect(
      shadowEstablished(
        { ...signal, workload: { vpcId: 'vpc-other' } },
        (vpc) => (vpc === 'vpc-0abc1234' ? baseline : undefined),
        THRESHOLDS,
        SEVERITIES,
      ).severity,
    ).toBe(8);
    expect(
      shadowEstablished({ ...signal, indicator: '10.0.1.5/32' }, () => baseline, THRESHOLDS, SEVERITIES)
        .severity,
    ).toBe(8);
  });

  it('refuses thresholds that leave no alert-only severity', () => {
    expect(() =>
      shadowEstablished(signal, () => baseline, THRESHOLDS, { minSeverity: 5, alertMinSeverity: 5 }),
    ).toThrow(InvalidInputError);
  });
});
