import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryFindings } from '#adapters/in-memory/guardduty';
import { ThrottledError } from '#domain/errors';
import type { FindingDetail } from '#ports/findings';
import { CATCH_UP_OVERLAP_MS, catchUp } from '#shared/use-cases/catch-up';
import { handleEvent } from '#shared/use-cases/handle-event';
import { type GuardDutyEvent, loadEvent } from '../support/events';
import { createWarden, HOUR, MINUTE, START, type Warden } from '../support/warden';

const LOOKBACK = 24 * HOUR;

type Detail = FindingDetail & { service: Record<string, unknown> };

function detailOf(path: string): Detail {
  return loadEvent<GuardDutyEvent>(path).detail as unknown as Detail;
}

const c2Domain = () => detailOf('guardduty/c2-domain.json'); // 09:01:12, evil domain
const c2Ip = () => detailOf('guardduty/c2-ip-outbound.json'); // 09:07:40, 198.51.100.77
const dropPoint = () => detailOf('guardduty/medium-severity-drop-point.json'); // 09:18:30, severity 5
const placeholder = () => detailOf('invalid/guardduty-placeholder-domain.json'); // 09:49:00

describe('catchUp', () => {
  let warden: Warden;
  let findings: InMemoryFindings;

  beforeEach(() => {
    warden = createWarden();
    findings = new InMemoryFindings();
  });

  const run = () => catchUp(warden.deps, { findings, lookbackMs: LOOKBACK });
  const activeKeys = async () => (await warden.store.listActive()).map((decision) => decision.key).sort();

  it('reads back the lookback window on its first run and blocks what it finds', async () => {
    // Prepare
    findings.put(c2Ip());
    findings.put({ ...c2Domain(), updatedAt: new Date(START.getTime() - LOOKBACK - MINUTE).toISOString() });

    // Act
    const report = await run();

    // Assess
    expect(report.from).toBe(new Date(START.getTime() - LOOKBACK).toISOString());
    expect(report.read).toBe(1);
    expect(report.outcomes).toStrictEqual({ blocked: 1 });
    expect(await activeKeys()).toStrictEqual(['198.51.100.77/32']);
    expect(report.watermark).toBe(START.toISOString());
    expect(await warden.store.getCatchUpWatermark()).toStrictEqual({
      since: START.toISOString(),
      version: 1,
    });
  });

  it('asks only for findings at or above the alert severity', async () => {
    // Prepare
    findings.put(detailOf('guardduty/inbound-ssh-brute-force.json')); // severity 2
    findings.put(dropPoint()); // severity 5

    // Act
    const report = await run();

    // Assess
    expect(report.read).toBe(1);
  });

  it('reads from the watermark on later runs, less the overlap, and moves it on', async () => {
    // Prepare
    findings.put(c2Ip());
    await run();
    warden.clock.advance(15 * MINUTE);
    const later = new Date(START.getTime() + 5 * MINUTE).toISOString();
    findings.put({
      ...c2Domain(),
      updatedAt: later,
      service: { ...c2Domain().service, eventLastSeen: later },
    });

    // Act
    const report = await run();

    // Assess
    expect(report.from).toBe(new Date(START.getTime() - CATCH_UP_OVERLAP_MS).toISOString());
    expect(report.read).toBe(1);
    expect(report.outcomes).toStrictEqual({ blocked: 1 });
    expect(report.watermark).toBe(new Date(START.getTime() + 15 * MINUTE).toISOString());
    expect((await warden.store.getCatchUpWatermark()).version).toBe(2);
  });

  it('counts a finding already decided from its EventBridge delivery as a duplicate, blocking once', async () => {
    // Prepare
    await handleEvent(loadEvent('guardduty/c2-ip-outbound.json'), warden.deps);
    const alertsBefore = warden.alerts.published.length;
    const decisionBefore = await warden.store.get('198.51.100.77/32');
    findings.put(c2Ip());

    // Act
    const report = await run();

    // Assess
    expect(report.outcomes).toStrictEqual({ skipped: 1 });
    expect(warden.alerts.published.length).toBe(alertsBefore);
    expect(await warden.store.get('198.51.100.77/32')).toStrictEqual(decisionBefore);
    expect(
      (await warden.store.getBreaker()).recentBlocks.reduce((sum, minute) => sum + minute.count, 0),
    ).toBe(1);
  });

  it('reads the same update again inside the overlap as a duplicate', async () => {
    // Prepare
    const recent = new Date(START.getTime() - MINUTE).toISOString();
    findings.put({ ...c2Ip(), updatedAt: recent, service: { ...c2Ip().service, eventLastSeen: recent } });
    await run();
    warden.clock.advance(15 * MINUTE);
    const alertsBefore = warden.alerts.published.length;

    // Act
    const report = await run();

    // Assess
    expect(report.read).toBe(1);
    expect(report.outcomes).toStrictEqual({ skipped: 1 });
    expect(warden.alerts.published.length).toBe(alertsBefore);
  });

  it('stops at a finding that failed with a retryable error and resumes from it on the next run', async () => {
    // Prepare: the inbound SSH finding (09:00) is read and ignored without a write, so the store's failure
    // hits the next finding, c2-ip (09:07:40), before drop-point (09:18:30).
    findings.put({
      ...detailOf('guardduty/inbound-ssh-brute-force.json'),
      severity: 8,
      updatedAt: '2026-11-28T09:00:00.000Z',
    });
    findings.put(c2Ip());
    findings.put(dropPoint());
    const throttled = new ThrottledError('DynamoDB throttled', 'ThrottlingException');
    warden.store.injectFailure(throttled);

    // Act
    const stopped = await run();
    warden.clock.advance(15 * MINUTE);
    const resumed = await run();

    // Assess
    expect(stopped.stopped).toStrictEqual({ findingId: c2Ip().id, error: throttled });
    expect(stopped.watermark).toBe(c2Ip().updatedAt);
    expect(resumed.from).toBe(new Date(Date.parse(c2Ip().updatedAt) - CATCH_UP_OVERLAP_MS).toISOString());
    expect(resumed.stopped).toBeUndefined();
    expect(stopped.read).toBe(2);
    expect(resumed.read).toBe(2);
    expect(resumed.handled).toBe(2);
    expect(await activeKeys()).toContain('198.51.100.77/32');
    expect(resumed.watermark).toBe(new Date(START.getTime() + 15 * MINUTE).toISOString());
  });

  it('keeps what it did when the listing itself fails part-way', async () => {
    // Prepare
    findings.put(c2Domain());
    findings.put(c2Ip());
    const throttled = new ThrottledError('GuardDuty throttled ListFindings', 'TooManyRequestsException');
    findings.injectFailure(throttled, 1);

    // Act
    const report = await run();

    // Assess
    expect(report.stopped).toStrictEqual({ error: throttled });
    expect(report.handled).toBe(1);
    expect(report.watermark).toBe(new Date(c2Domain().updatedAt).toISOString());
  });

  it('anchors the first window when the first run fails before handling anything', async () => {
    // Prepare
    findings.put(c2Ip());
    findings.injectFailure(new ThrottledError('throttled', 'TooManyRequestsException'), 0);

    // Act
    const report = await run();

    // Assess
    expect(report.watermark).toBe(new Date(START.getTime() - LOOKBACK).toISOString());
    expect(report.read).toBe(0);
  });

  it('reports an invalid finding, skips it and goes on', async () => {
    // Prepare
    findings.put(c2Ip());
    findings.put(placeholder());
    findings.put({
      ...dropPoint(),
      updatedAt: '2026-11-28T09:55:00.000Z',
      service: { ...dropPoint().service, eventLastSeen: '2026-11-28T09:55:00.000Z' },
    });

    // Act
    const report = await run();

    // Assess
    expect(report.invalid).toHaveLength(1);
    expect(report.invalid[0]?.id).toBe(placeholder().id);
    expect(report.invalid[0]?.reason).toMatch(/dnsRequestAction\.domain/);
    expect(report.handled).toBe(2);
    expect(report.stopped).toBeUndefined();
    expect(report.watermark).toBe(START.toISOString());
  });

  it('never moves the watermark back when an overlapping run got further', async () => {
    // Prepare
    const ahead = new Date(START.getTime() + HOUR).toISOString();
    await warden.store.putCatchUpWatermark({ since: ahead, version: 1 }, 0);

    // Act
    const report = await run();

    // Assess
    expect(report.watermark).toBe(ahead);
    expect(await warden.store.getCatchUpWatermark()).toStrictEqual({ since: ahead, version: 1 });
  });
});
