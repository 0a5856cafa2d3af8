import { describe, expect, it } from 'vitest';
import { InvalidInputError, TargetCapacityError } from '#domain/errors';
import type { DnsFirewallDomainList } from '#ports/dns-firewall';

/** The state a contract test starts from. */
export interface DnsFirewallSetup {
  /** Domains already in the list, as someone may have written them (any case, trailing dot or not). */
  readonly domains?: readonly string[];
  /** Domains the account-region can hold; the AWS default quota when absent. */
  readonly maxDomains?: number;
  /** The list's state when it is not `COMPLETE`: an operator's import into it failed, with this message. */
  readonly failedImport?: string;
}

/** `n` distinct valid domains under `zone`. */
export const manyDomains = (n: number, zone = 'example.com'): string[] =>
  Array.from({ length: n }, (_, index) => `host-${index}.${zone}`);

/**
 * The behaviour every DnsFirewallDomainList must show, run against the in-memory adapter and against the AWS
 * adapter on a stateful fake of Route 53 Resolver, so that the simulation and production cannot drift apart.
 */
export function describeDnsFirewallContract(
  label: string,
  setup: (state: DnsFirewallSetup) => DnsFirewallDomainList | Promise<DnsFirewallDomainList>,
): void {
  describe(`${label} (DNS Firewall domain list contract)`, () => {
    describe('listDomains', () => {
      it('returns the domains normalised: lowercase, without the trailing dot, sorted', async () => {
        // Prepare
        const list = await setup({
          domains: ['Zeta.Example.com.', 'alpha.example.com', '*.Beta.example.com.'],
        });

        // Act
        const domains = await list.listDomains();

        // Assess
        expect(domains).toEqual(['*.beta.example.com', 'alpha.example.com', 'zeta.example.com']);
      });

      it('returns an empty array for an empty list', async () => {
        // Prepare
        const list = await setup({});

        // Act
        const domains = await list.listDomains();

        // Assess
        expect(domains).toEqual([]);
      });
    });

    describe('updateDomains ADD', () => {
      it('blocks the added domains, read back normalised', async () => {
        // Prepare
        const list = await setup({ domains: ['kept.example.com'] });

        // Act
        await list.updateDomains('ADD', ['Evil.Example.COM.', '*.bad.example.net', 'xn--80ak6aa92e.com']);

        // Assess
        expect(await list.listDomains()).toEqual([
          '*.bad.example.net',
          'evil.example.com',
          'kept.example.com',
          'xn--80ak6aa92e.com',
        ]);
      });

      it('changes nothing when the same domains are added again, in any spelling', async () => {
        // Prepare
        const list = await setup({});
        await list.updateDomains('ADD', ['evil.example.com', 'bad.example.net']);

        // Act
        await list.updateDomains('ADD', ['EVIL.example.com.', 'bad.example.net', 'bad.example.net']);

        // Assess
        expect(await list.listDomains()).toEqual(['bad.example.net', 'evil.example.com']);
      });

      it('takes exactly 1,000 domains in one call', async () => {
        // Prepare
        const list = await setup({});
        const domains = manyDomains(1000);

        // Act
        await list.updateDomains('ADD', domains);

        // Assess
        expect(await list.listDomains()).toHaveLength(1000);
      });

      it('refuses 1,001 domains in one call with InvalidInputError and adds none of them', async () => {
        // Prepare
        const list = await setup({});

        // Act
        const result = list.updateDomains('ADD', manyDomains(1001));

        // Assess
        await expect(result).rejects.toBeInstanceOf(InvalidInputError);
        await expect(result).rejects.toMatchObject({ field: 'domains' });
        expect(await list.listDomains()).toEqual([]);
      });

      it('does nothing for an empty list of domains', async () => {
        // Prepare
        const list = await setup({ domains: ['kept.example.com'] });

        // Act
        await list.updateDomains('ADD', []);

        // Assess
        expect(await list.listDomains()).toEqual(['kept.example.com']);
      });

      it.each([
        ['a lone asterisk (every name)', '*'],
        ['a wildcard', '*.example.com'],
        ['digits and hyphens', '0-day.x-1.example'],
        ['a single label', 'localhost'],
        ['255 characters', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`],
      ])('accepts %s', async (_case, domain) => {
        // Prepare
        const list = await setup({});

        // Act
        await list.updateDomains('ADD', [domain]);

        // Assess
        expect(await list.listDomains()).toEqual([domain.toLowerCase()]);
      });

      it.each([
        ['an empty name', ''],
        ['a space', 'evil example.com'],
        ['an empty label', 'evil..example.com'],
        ['a leading dot', '.example.com'],
        ['two trailing dots', 'example.com..'],
        ['an underscore', '_dmarc.example.com'],
        ['a path', 'evil.example.com/login'],
        ['a rule injection attempt', 'evil.example.com"; pass'],
        ['a line break', 'evil.example.com\nother.example.com'],
        ['an asterisk not at the start', 'evil.*.example.com'],
        ['two asterisks', '**.example.com'],
        ['an asterisk glued to a label', '*evil.example.com'],
        ['non-ASCII letters (not punycode)', 'évil.example.com'],
        ['256 characters', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(64)}`],
      ])('refuses %s with InvalidInputError and adds nothing from the call', async (_case, domain) => {
        // Prepare
        const list = await setup({});

        // Act
        const result = list.updateDomains('ADD', ['good.example.com', domain]);

        // Assess
        await expect(result).rejects.toBeInstanceOf(InvalidInputError);
        expect(await list.listDomains()).toEqual([]);
      });
    });

    describe('the account domain quota', () => {
      it('fills the quota exactly', async () => {
        // Prepare
        const list = await setup({ domains: manyDomains(3, 'old.example'), maxDomains: 5 });

        // Act
        await list.updateDomains('ADD', manyDomains(2, 'new.example'));

        // Assess
        expect(await list.listDomains()).toHaveLength(5);
      });

      it('refuses a call that would go over the quota as a whole, with TargetCapacityError LimitExceededException', async () => {
        // Prepare
        const list = await setup({ domains: manyDomains(4, 'old.example'), maxDomains: 5 });

        // Act
        const result = list.updateDomains('ADD', manyDomains(2, 'new.example'));

        // Assess
        await expect(result).rejects.toBeInstanceOf(TargetCapacityError);
        await expect(result).rejects.toMatchObject({ code: 'LimitExceededException' });
        expect(await list.listDomains()).toEqual(manyDomains(4, 'old.example').sort());
      });

      it('counts only new domains, so re-adding present ones at a full quota succeeds', async () => {
        // Prepare
        const list = await setup({ domains: manyDomains(5), maxDomains: 5 });

        // Act
        await list.updateDomains('ADD', manyDomains(5));

        // Assess
        expect(await list.listDomains()).toHaveLength(5);
      });

      it('frees room when domains are removed', async () => {
        // Prepare
        const list = await setup({ domains: manyDomains(5), maxDomains: 5 });
        await list.updateDomains('REMOVE', ['host-0.example.com']);

        // Act
        await list.updateDomains('ADD', ['new.example.net']);

        // Assess
        expect(await list.listDomains()).toContain('new.example.net');
      });
    });

    describe('a list whose last import failed (COMPLETE_IMPORT_FAILED)', () => {
      const message = 'Import failed: the S3 object s3://ops/blocklist.txt was not found';

      it('reports a list that takes writes as COMPLETE, without a message', async () => {
        // Prepare
        const list = await setup({});

        // Act
        const status = await list.status();

        // Assess
        expect(status).toEqual({ status: 'COMPLETE' });
      });

      it('reports the failed import with its status message, so it can be alerted on', async () => {
        // Prepare
        const list = await setup({ failedImport: message });

        // Act
        const status = await list.status();

        // Assess
        expect(status).toEqual({ status: 'COMPLETE_IMPORT_FAILED', message });
      });

      it('still takes additions and removals: the failed import is a resting state, not a broken list', async () => {
        // Prepare
        const list = await setup({ domains: ['old.example.com'], failedImport: message });

        // Act
        await list.updateDomains('ADD', ['evil.example.com']);
        await list.updateDomains('REMOVE', ['old.example.com']);

        // Assess
        expect(await list.listDomains()).toEqual(['evil.example.com']);
      });
    });

    describe('updateDomains REMOVE', () => {
      it('unblocks the removed domains, in any spelling', async () => {
        // Prepare
        const list = await setup({ domains: ['evil.example.com.', 'kept.example.com', '*.bad.example.net'] });

        // Act
        await list.updateDomains('REMOVE', ['EVIL.example.com', '*.bad.example.net.']);

        // Assess
        expect(await list.listDomains()).toEqual(['kept.example.com']);
      });

      it('changes nothing when the domains are already absent', async () => {
        // Prepare
        const list = await setup({ domains: ['kept.example.com'] });

        // Act
        await list.updateDomains('REMOVE', ['absent.example.com']);

        // Assess
        expect(await list.listDomains()).toEqual(['kept.example.com']);
      });

      it('refuses 1,001 domains in one call and removes none of them', async () => {
        // Prepare
        const list = await setup({ domains: manyDomains(3) });

        // Act
        const result = list.updateDomains('REMOVE', manyDomains(1001));

        // Assess
        await expect(result).rejects.toBeInstanceOf(InvalidInputError);
        expect(await list.listDomains()).toHaveLength(3);
      });
    });
  });
}
