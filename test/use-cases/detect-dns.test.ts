import { describe, expect, it } from 'vitest';
import { InMemoryDetectorStateStore } from '#adapters/in-memory/detector-state';
import { InMemoryDomainBaselineStore } from '#adapters/in-memory/domain-baseline';
import { InMemoryThreatSignalPublisher } from '#adapters/in-memory/signal-publisher';
import type { DnsContext, DnsQuery } from '#domain/detect/dns';
import { parseDnsSettings } from '#domain/detect/dns-settings';
import { DETECTOR_SOURCE } from '#shared/intake/threat-signal';
import { parseQueryLogLine, type QueryLogEntry } from '#shared/logs/query-log';
import { detectDns } from '#shared/use-cases/detect-dns';
import { handleEvent } from '#shared/use-cases/handle-event';
import { benignTraffic, query, T0, tunnelQueries } from '../support/dns-traffic';
import { createWarden } from '../support/warden';

const CONTEXT: DnsContext = {
  settings: parseDnsSettings({}),
  allowlist: [],
  protectedDomains: [],
  thresholds: { minSeverity: 7, alertMinSeverity: 4 },
};

/** The query-log lines AWS would write for these queries, parsed as the detector reads them. */
function logged(queries: readonly DnsQuery[]): QueryLogEntry[] {
  return queries.map((query, i) => parseQueryLogLine(query.raw, i + 1));
}

function detector() {
  return {
    context: CONTEXT,
    state: new InMemoryDetectorStateStore(),
    publisher: new InMemoryThreatSignalPublisher(),
    baseline: new InMemoryDomainBaselineStore(),
  };
}

const DAY = 86_400_000;

/**
 * A week of ordinary use of `domain` in `vpcId` (five hosts a day, the default thresholds), one detectDns call
 * a day, as the query logs of those days would arrive.
 */
async function learnWeekOfUse(
  deps: ReturnType<typeof detector>,
  domain: string,
  vpcId: string,
): Promise<void> {
  for (let day = 7; day >= 1; day--) {
    const queries = Array.from({ length: 5 }, (_, host) =>
      query({
        name: `www.${domain}`,
        at: T0 - day * DAY,
        vpcId,
        srcAddr: `10.0.2.${host + 10}`,
        instanceId: `i-0${String(host).padStart(16, '0')}`,
      }),
    );
    await detectDns(logged(queries), deps);
  }
}

describe('detectDns', () => {
  it('finds a DNS tunnel in query-log lines and publishes one signal naming its registered domain', async () => {
    // Prepare
    const deps = detector();
    const lines = logged(tunnelQueries(1, { domain: 'exfil-tunnel.net', count: 250 }));

    // Act
    const report = await detectDns(lines, deps);

    // Assess
    expect(report.records).toBe(250);
    expect(deps.publisher.published.map((s) => [s.detector, s.indicator])).toEqual([
      ['dns-tunnel', 'exfil-tunnel.net'],
    ]);
  });

  it('publishes nothing for a day of benign traffic', async () => {
    // Prepare
    const deps = detector();

    // Act
    const report = await detectDns(logged(benignTraffic(7, { count: 5000 })), deps);

    // Assess
    expect(report.signals).toEqual([]);
    expect(deps.publisher.published).toEqual([]);
  });

  it('counts and lists a malformed line with its position, and still detects in the rest', async () => {
    // Prepare
    const deps = detector();
    const lines = [
      parseQueryLogLine('{"query_name": 5}', 1),
      ...logged(tunnelQueries(2, { domain: 'exfil-tunnel.net', count: 250 })),
    ];

    // Act
    const report = await detectDns(lines, deps);

    // Assess
    expect(report.malformed.count).toBe(1);
    expect(report.malformed.first[0]).toMatchObject({ position: 1 });
    expect(report.signals).toHaveLength(1);
  });

  it('finds a tunnel split over several calls, as consecutive files or batches, once the window holds enough', async () => {
    // Prepare: the state store carries the window from one call to the next.
    const deps = detector();
    const queries = tunnelQueries(3, { domain: 'exfil-tunnel.net', count: 250 });

    // Act
    const first = await detectDns(logged(queries.slice(0, 150)), deps);
    const second = await detectDns(logged(queries.slice(150)), deps);

    // Assess
    expect(first.signals).toEqual([]);
    expect(second.signals.map((s) => s.indicator)).toEqual(['exfil-tunnel.net']);
  });

  it('hands intake a signal it accepts: the tunnel domain is blocked through the same path as any input', async () => {
    // Prepare
    const deps = detector();
    await detectDns(logged(tunnelQueries(4, { domain: 'exfil-tunnel.net', count: 250, start: T0 })), deps);
    const warden = createWarden();
    const [detail] = deps.publisher.published;

    // Act
    const report = await handleEvent(
      { source: DETECTOR_SOURCE, 'detail-type': 'Threat Signal', time: new Date(T0).toISOString(), detail },
      warden.deps,
    );

    // Assess
    expect(report.decisions).toEqual([
      expect.objectContaining({ indicator: 'exfil-tunnel.net', outcome: 'blocked', source: 'dns-log' }),
    ]);
  });

  it('a tunnel signal against a domain established in that VPC is published alert-only', async () => {
    // Prepare
    const deps = detector();
    await learnWeekOfUse(deps, 'partner-saas.com', 'vpc-0abc1234');

    // Act
    const report = await detectDns(
      logged(tunnelQueries(5, { domain: 'partner-saas.com', count: 250, start: T0 })),
      deps,
    );

    // Assess
    expect(report.signals).toHaveLength(1);
    expect(deps.publisher.published).toEqual([
      expect.objectContaining({
        detector: 'dns-tunnel',
        indicator: 'partner-saas.com',
        severity: CONTEXT.thresholds.alertMinSeverity,
        evidence: expect.objectContaining({
          summary: expect.stringContaining('[established domain: alert only]'),
        }),
      }),
    ]);
  });

  it("does not shield a tunnel with another VPC's baseline", async () => {
    // Prepare
    const deps = detector();
    await learnWeekOfUse(deps, 'partner-saas.com', 'vpc-0other999');

    // Act
    await detectDns(logged(tunnelQueries(6, { domain: 'partner-saas.com', count: 250, start: T0 })), deps);

    // Assess
    expect(deps.publisher.published.map((s) => [s.indicator, s.severity])).toEqual([
      ['partner-saas.com', CONTEXT.settings.tunnel.severity],
    ]);
    expect(CONTEXT.settings.tunnel.severity).toBeGreaterThanOrEqual(CONTEXT.thresholds.minSeverity);
  });
});
