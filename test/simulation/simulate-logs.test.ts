import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadEvents } from '#shared/cli/load-events';
import { parseSimulationConfig } from '#shared/simulation/config';
import { simulate } from '#shared/simulation/simulate';
import { subscriptionEvent } from '../logs/samples';
import { tunnelQueries } from '../support/dns-traffic';
import { addressScan, EXTERNAL, flow } from '../support/flow-traffic';

/** The default simulation configuration, with the flow tests' VPC CIDRs (the records come from 10.0.1.5). */
const CONFIG = parseSimulationConfig({
  vpcs: [{ vpcId: 'vpc-0a1b2c3d4e5f60718', cidrs: ['10.0.0.0/16'], networkAcls: ['acl-0123456789abcdef0'] }],
  policy: {
    targets: {
      dnsFirewall: { mode: 'enforce' },
      networkAcls: { mode: 'enforce' },
      networkFirewall: { mode: 'enforce' },
    },
  },
});

/** The flow-log header of the lines test/support/flow-traffic.ts writes. */
const FLOW_HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status flow-direction pkt-dst-aws-service traffic-path';

/** A folder holding `files` (name → content). */
async function folderWith(files: Record<string, string | Buffer>): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'warden-logs-'));
  for (const [name, content] of Object.entries(files)) await writeFile(join(folder, name), content);
  return folder;
}

describe('simulate with raw logs', () => {
  it('replays a gzip query log and a flow log from a folder, and blocks what the detectors find', async () => {
    // Prepare
    const queryLog = `${tunnelQueries(1, { domain: 'exfil-tunnel.net', count: 250 })
      .map((q) => q.raw)
      .join('\n')}\n`;
    const flowLog = `${FLOW_HEADER}\n${[flow({ dstAddr: EXTERNAL.c2 }), ...addressScan(2, { hosts: 30 })].map((r) => r.raw).join('\n')}\n`;
    const folder = await folderWith({ 'dns.log.gz': gzipSync(queryLog), 'flows.log': flowLog });
    const { inputs, logs } = await loadEvents([folder]);

    // Act
    const result = await simulate(inputs, CONFIG, { logs });

    // Assess
    expect(result.logs.map(({ kind, records, signals }) => ({ kind, records, signals }))).toEqual([
      { kind: 'query-log', records: 250, signals: 1 },
      { kind: 'flow-log', records: 31, signals: 1 },
    ]);
    expect(result.decisions.map((d) => [d.indicator, d.outcome, d.source])).toEqual([
      ['exfil-tunnel.net', 'blocked', 'dns-log'],
      [`${EXTERNAL.sweptSubnet}.0/27`, 'skipped', 'flow-log'],
    ]);
    expect(result.targets.dnsFirewall.domains).toContain('exfil-tunnel.net');
    expect(result.now).toBe(
      new Date(
        Math.max(...tunnelQueries(1, { domain: 'exfil-tunnel.net', count: 250 }).map((q) => q.at)),
      ).toISOString(),
    );
  });

  it('replays a CloudWatch Logs subscription event of query-log records given among the JSON events', async () => {
    // Prepare
    const event = subscriptionEvent(
      tunnelQueries(3, { domain: 'exfil-tunnel.net', count: 250 }).map((q) => q.raw),
    );

    // Act
    const result = await simulate([{ name: 'subscription.json', event }], CONFIG);

    // Assess
    expect(result.logs).toEqual([expect.objectContaining({ kind: 'query-log', records: 250, signals: 1 })]);
    expect(result.decisions.map((d) => d.indicator)).toEqual(['exfil-tunnel.net']);
  });

  it('reports each malformed line with its file and line, and detects in the rest', async () => {
    // Prepare
    const lines = [
      '{"query_name": 5}',
      ...tunnelQueries(4, { domain: 'exfil-tunnel.net', count: 250 }).map((q) => q.raw),
    ];
    const folder = await folderWith({ 'dns.jsonl': `${lines.join('\n')}\n` });
    const { inputs, logs } = await loadEvents([folder]);

    // Act
    const result = await simulate(inputs, CONFIG, { logs });

    // Assess
    expect(result.rejected).toEqual([
      { input: `${join(folder, 'dns.jsonl')}:1`, error: expect.stringMatching(/query_name/) },
    ]);
    expect(result.decisions.map((d) => d.indicator)).toEqual(['exfil-tunnel.net']);
  });
});
