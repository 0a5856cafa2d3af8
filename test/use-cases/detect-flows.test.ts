import { describe, expect, it } from 'vitest';
import { InMemoryDetectorStateStore } from '#adapters/in-memory/detector-state';
import { InMemoryThreatSignalPublisher } from '#adapters/in-memory/signal-publisher';
import type { FlowRecord } from '#domain/detect/flow';
import { DETECTOR_SOURCE } from '#shared/intake/threat-signal';
import { type FlowLogEntry, parseFlowLogFormat, parseFlowRecord } from '#shared/logs/flow-log';
import { detectFlows, flowRecordOf } from '#shared/use-cases/detect-flows';
import { handleEvent } from '#shared/use-cases/handle-event';
import { addressScan, benignTraffic, EXTERNAL, flow, T0, testDetector } from '../support/flow-traffic';
import { createWarden } from '../support/warden';

/** The fields of the test records' lines (test/support/flow-traffic.ts writes them in this order). */
const FORMAT = parseFlowLogFormat(
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a flow-log format string, as AWS writes it
  '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${flow-direction} ${pkt-dst-aws-service} ${traffic-path}',
);

/** The lines a flow log would hold for these records, parsed as the detector reads them. */
function logged(records: readonly FlowRecord[]): FlowLogEntry[] {
  return records.map((record, i) => parseFlowRecord(record.raw, FORMAT, i + 1));
}

function detector() {
  return {
    detector: testDetector(),
    state: new InMemoryDetectorStateStore(),
    publisher: new InMemoryThreatSignalPublisher(),
  };
}

describe('detectFlows', () => {
  it('finds an address scan in flow-log lines and publishes one signal naming the swept network', async () => {
    // Prepare
    const deps = detector();

    // Act
    const report = await detectFlows(logged(addressScan(1, { hosts: 30 })), deps);

    // Assess
    expect(report.records).toBe(30);
    expect(deps.publisher.published.map((s) => [s.detector, s.indicator])).toEqual([
      ['flow-address-scan', `${EXTERNAL.sweptSubnet}.0/27`],
    ]);
  });

  it('publishes nothing for an hour of benign traffic', async () => {
    // Prepare
    const deps = detector();

    // Act
    const report = await detectFlows(logged(benignTraffic(5, 5000)), deps);

    // Assess
    expect(report.signals).toEqual([]);
    expect(deps.publisher.published).toEqual([]);
  });

  it('counts NODATA records and malformed lines apart from traffic, and lists the malformed with positions', async () => {
    // Prepare
    const deps = detector();
    const entries = [
      parseFlowRecord(
        '5 123456789012 eni-0123456789abcdef0 - - - - - - - 1764324000 1764324060 - NODATA - - -',
        FORMAT,
        1,
      ),
      parseFlowRecord('5 123456789012 not enough fields', FORMAT, 2),
      ...logged([flow({ dstAddr: EXTERNAL.c2, start: T0 })]),
    ];

    // Act
    const report = await detectFlows(entries, deps);

    // Assess
    expect(report).toMatchObject({ records: 3, statusRecords: 1, malformed: { count: 1 } });
    expect(report.malformed.first[0]).toMatchObject({ position: 2 });
    expect(report.signals.map((s) => s.detector)).toEqual(['flow-threat-intel']);
  });

  it('reads times in seconds as milliseconds and prefers the packet addresses behind a NAT gateway', () => {
    // Prepare
    const format = parseFlowLogFormat(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a flow-log format string, as AWS writes it
      '${srcaddr} ${dstaddr} ${pkt-srcaddr} ${pkt-dstaddr} ${start} ${end} ${action}',
    );
    const entry = parseFlowRecord(
      '10.0.0.220 203.0.113.5 10.0.1.5 203.0.113.5 1764324000 1764324060 ACCEPT',
      format,
      1,
    );

    // Act
    const record = entry.kind === 'flow' ? flowRecordOf(entry) : undefined;

    // Assess
    expect(record).toMatchObject({
      srcAddr: '10.0.1.5',
      dstAddr: '203.0.113.5',
      start: 1_764_324_000_000,
      end: 1_764_324_060_000,
    });
  });

  it('hands intake a signal it accepts: a threat-intel destination is blocked like any input', async () => {
    // Prepare
    const deps = detector();
    await detectFlows(logged([flow({ dstAddr: EXTERNAL.c2, start: T0 })]), deps);
    const [detail] = deps.publisher.published;

    // Act
    const report = await handleEvent(
      { source: DETECTOR_SOURCE, 'detail-type': 'Threat Signal', time: new Date(T0).toISOString(), detail },
      createWarden().deps,
    );

    // Assess
    expect(report.decisions).toEqual([
      expect.objectContaining({ indicator: `${EXTERNAL.c2}/32`, outcome: 'blocked', source: 'flow-log' }),
    ]);
  });
});
