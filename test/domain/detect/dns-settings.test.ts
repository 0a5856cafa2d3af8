import { describe, expect, it } from 'vitest';
import { parseDnsSettings } from '#domain/detect/dns-settings';
import { InvalidInputError } from '#domain/errors';

describe('parseDnsSettings', () => {
  it('fills in the documented defaults', () => {
    const settings = parseDnsSettings(undefined);

    expect(settings.tunnel).toMatchObject({
      windowMinutes: 15,
      bucketMinutes: 5,
      minDistinctNames: 200,
      medianPrefixLength: 30,
      maxLabelLength: 40,
      longNameLength: 70,
      longNameShare: 0.2,
      recordTypeShare: 0.5,
      informationBytes: 4096,
      severity: 8,
    });
    expect(settings.dga).toMatchObject({
      windowMinutes: 60,
      bucketMinutes: 5,
      minDistinctDomains: 25,
      minRandomShare: 0.5,
    });
    expect(settings.intel).toEqual({ enabled: true, feeds: [], severity: 8, windowMinutes: 60 });
    expect(settings.firewallAlerts).toEqual({ promote: false, severity: 7, windowMinutes: 60 });
    expect(settings.baseline).toEqual({ minHosts: 5, minDays: 7 });
    expect(settings.benignDomains).toEqual([]);
  });

  it('normalises benign domains', () => {
    expect(parseDnsSettings({ benignDomains: ['Corp.Example.'] }).benignDomains).toEqual(['corp.example']);
  });

  it.each([
    [{ tunnel: { minDistinctNames: 0 } }, 'dns.tunnel.minDistinctNames'],
    [{ tunnel: { windowMinutes: 16 } }, 'dns.tunnel.windowMinutes'],
    [{ dga: { minRandomShare: 2 } }, 'dns.dga.minRandomShare'],
    [{ baseline: { minHosts: 33 } }, 'dns.baseline.minHosts'],
    [{ firewallAlerts: { promote: 'yes' } }, 'dns.firewallAlerts.promote'],
    [{ benignDomains: ['not a domain'] }, 'dns.benignDomains[0]'],
    [{ tunel: {} }, 'dns.tunel'],
  ])('names the field of a bad value: %j', (input, field) => {
    const error = (() => {
      try {
        parseDnsSettings(input, 'dns');
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe(field);
  });
});
