import { describe, expect, it } from 'vitest';
import { FLOW_DETECTOR_DEFAULTS, parseFlowDetectorSettings } from '#domain/detect/flow-settings';
import { InvalidInputError } from '#domain/errors';

const MINUTE = 60_000;

describe('parseFlowDetectorSettings', () => {
  it('fills in the documented defaults', () => {
    const settings = parseFlowDetectorSettings();
    expect(settings.threatIntel).toEqual({
      enabled: true,
      windowMs: 60 * MINUTE,
      bucketMs: 5 * MINUTE,
      severity: 8,
      largeTransferBytes: 25_000_000,
    });
    expect(settings.portScan).toEqual({
      enabled: true,
      windowMs: 5 * MINUTE,
      bucketMs: MINUTE,
      severity: 5,
      ports: 15,
    });
    expect(settings.addressScan).toEqual({
      enabled: true,
      windowMs: 5 * MINUTE,
      bucketMs: MINUTE,
      severity: 4,
      hosts: 25,
    });
    expect(settings.volume).toEqual({
      enabled: true,
      windowMs: 60 * MINUTE,
      bucketMs: 5 * MINUTE,
      severity: 6,
      bytes: 1_000_000_000,
    });
    expect([...settings.badPorts.ports].sort((a, b) => a - b)).toEqual([
      25, 3333, 4444, 5555, 6660, 6661, 6662, 6663, 6664, 6665, 6666, 6667, 6668, 6669, 6697, 7777, 9001,
      9030, 9050, 9150, 14433, 14444, 45700,
    ]);
    expect(settings.badPorts.boost).toBe(FLOW_DETECTOR_DEFAULTS.badPorts.boost);
    expect(settings.evidenceLines).toBe(5);
  });

  it('takes what the user sets, durations in either notation', () => {
    const settings = parseFlowDetectorSettings({
      portScan: { ports: 30, window: 'PT10M', bucket: '2m' },
      volume: { enabled: false },
      badPorts: { ports: [22, '8000-8002'], boost: 2 },
    });
    expect(settings.portScan).toMatchObject({ ports: 30, windowMs: 10 * MINUTE, bucketMs: 2 * MINUTE });
    expect(settings.volume.enabled).toBe(false);
    expect([...settings.badPorts.ports]).toEqual([22, 8000, 8001, 8002]);
    expect(settings.badPorts.boost).toBe(2);
  });

  it.each([
    [{ portScan: { ports: 1 } }, 'flow.portScan.ports'],
    [{ portScan: { ports: 2.5 } }, 'flow.portScan.ports'],
    [{ volume: { severity: 11 } }, 'flow.volume.severity'],
    [{ volume: { window: 'soon' } }, 'flow.volume.window'],
    [{ volume: { window: '1h', bucket: '7m' } }, 'flow.volume.window'],
    [{ volume: { window: '2h', bucket: '1m' } }, 'flow.volume.window'],
    [{ badPorts: { ports: ['9000-8000'] } }, 'flow.badPorts.ports[0]'],
    [{ badPorts: { ports: [70000] } }, 'flow.badPorts.ports[0]'],
    [{ evidenceLines: 21 }, 'flow.evidenceLines'],
    [{ portscan: {} }, 'flow.portscan'],
  ])('refuses %j, naming %s', (input, field) => {
    expect(() => parseFlowDetectorSettings(input)).toThrow(InvalidInputError);
    try {
      parseFlowDetectorSettings(input);
    } catch (error) {
      expect((error as InvalidInputError).field).toBe(field);
    }
  });
});
