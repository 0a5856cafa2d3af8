import {
  AccessDeniedException,
  ConflictException,
  GetFirewallDomainListCommand,
  LimitExceededException,
  ListFirewallDomainsCommand,
  ResourceNotFoundException,
  Route53ResolverClient,
  ThrottlingException,
  UpdateFirewallDomainsCommand,
  ValidationException,
} from '@aws-sdk/client-route53resolver';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { Route53ResolverDomainList } from '#adapters/aws/dns-firewall';
import {
  ConcurrentUpdateError,
  DeadlineReachedError,
  InvalidInputError,
  TargetCapacityError,
  TargetNotFoundError,
  ThrottledError,
} from '#domain/errors';
import { describeDnsFirewallContract, manyDomains } from '../../contracts/dns-firewall.contract';
import {
  DOMAIN_LIST_ID,
  type FakeRoute53Resolver,
  type FakeRoute53ResolverOptions,
  fakeRoute53Resolver,
} from '../../support/fakes/route53-resolver';

const LIST_ID = DOMAIN_LIST_ID;
const client = new Route53ResolverClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const mock = mockClient(client);
const $metadata = {};

/** Backs the mock with a fake Route 53 Resolver holding one list, LIST_ID. */
const fakeResolver = (options: FakeRoute53ResolverOptions = {}): FakeRoute53Resolver =>
  fakeRoute53Resolver(mock, options);

/** A clock that only moves when the adapter sleeps, and the sleeps it was asked for. */
function fakeTime() {
  const time = { now: 0, sleeps: [] as number[] };
  const sleep = async (ms: number) => {
    time.sleeps.push(ms);
    time.now += ms;
  };
  mock.onAnyCommand().callsFake(() => {
    throw new Error('unexpected command');
  });
  return { time, sleep, now: () => time.now };
}

function adapter(options: { sleep: (ms: number) => Promise<void>; now: () => number }, extra = {}) {
  return new Route53ResolverDomainList({ client, domainListId: LIST_ID, ...options, ...extra });
}

function commandNames(): string[] {
  return mock.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
}

beforeEach(() => {
  mock.reset();
});

describeDnsFirewallContract('Route53ResolverDomainList', (state) => {
  mock.reset();
  const clock = fakeTime();
  fakeResolver(state);
  return adapter(clock);
});

describe('Route53ResolverDomainList', () => {
  describe('listDomains', () => {
    it('asks for 5,000 names a page, the API maximum, and follows NextToken to the end', async () => {
      // Prepare
      const clock = fakeTime();
      mock
        .on(ListFirewallDomainsCommand)
        .resolvesOnce({ Domains: ['b.example.com.', 'A.example.com.'], NextToken: 'page-2' })
        .resolvesOnce({ Domains: ['*.c.example.com.'], NextToken: 'page-3' })
        .resolvesOnce({ Domains: ['d.example.com.'] });

      // Act
      const domains = await adapter(clock).listDomains();

      // Assess
      expect(domains).toEqual(['*.c.example.com', 'a.example.com', 'b.example.com', 'd.example.com']);
      expect(mock).toHaveReceivedCommandTimes(ListFirewallDomainsCommand, 3);
      expect(mock).toHaveReceivedNthCommandWith(ListFirewallDomainsCommand, 1, {
        FirewallDomainListId: LIST_ID,
        MaxResults: 5000,
        NextToken: undefined,
      });
      expect(mock).toHaveReceivedNthCommandWith(ListFirewallDomainsCommand, 2, {
        FirewallDomainListId: LIST_ID,
        MaxResults: 5000,
        NextToken: 'page-2',
      });
      expect(mock).toHaveReceivedNthCommandWith(ListFirewallDomainsCommand, 3, { NextToken: 'page-3' });
    });

    it('reads a list of 12,500 names from the fake service in three pages', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver({ domains: manyDomains(12_500) });

      // Act
      const domains = await adapter(clock).listDomains();

      // Assess
      expect(domains).toEqual(manyDomains(12_500).sort());
      expect(mock).toHaveReceivedCommandTimes(ListFirewallDomainsCommand, 3);
    });

    it('reports a missing list as TargetNotFoundError ResourceNotFoundException', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver();
      const list = new Route53ResolverDomainList({ client, domainListId: 'rslvr-fdl-gone', ...clock });

      // Act
      const result = list.listDomains();

      // Assess
      await expect(result).rejects.toBeInstanceOf(TargetNotFoundError);
      await expect(result).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
    });

    it('retries throttling six times, then throws ThrottledError', async () => {
      // Prepare
      const clock = fakeTime();
      const throttled = new ThrottlingException({ message: 'Rate exceeded', $metadata });
      mock.on(ListFirewallDomainsCommand).rejects(throttled);

      // Act
      const result = adapter(clock).listDomains();

      // Assess
      await expect(result).rejects.toBeInstanceOf(ThrottledError);
      await expect(result).rejects.toMatchObject({ code: 'ThrottlingException', cause: throttled });
      expect(mock).toHaveReceivedCommandTimes(ListFirewallDomainsCommand, 6);
    });
  });

  describe('status', () => {
    it('reads the list once with GetFirewallDomainList and returns its Status and StatusMessage', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver({ failedImport: 'Import failed: s3 object not found' });

      // Act
      const status = await adapter(clock).status();

      // Assess
      expect(status).toEqual({
        status: 'COMPLETE_IMPORT_FAILED',
        message: 'Import failed: s3 object not found',
      });
      expect(commandNames()).toEqual(['GetFirewallDomainListCommand']);
      expect(mock).toHaveReceivedCommandWith(GetFirewallDomainListCommand, { FirewallDomainListId: LIST_ID });
    });

    it('reports a missing list as TargetNotFoundError ResourceNotFoundException', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver();
      const list = new Route53ResolverDomainList({ client, domainListId: 'rslvr-fdl-gone', ...clock });

      // Act
      const result = list.status();

      // Assess
      await expect(result).rejects.toBeInstanceOf(TargetNotFoundError);
      await expect(result).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
    });
  });

  describe('updateDomains', () => {
    it('sends UpdateFirewallDomains with the normalised names and returns once the list is COMPLETE', async () => {
      // Prepare
      const clock = fakeTime();
      const state = fakeResolver({ pollsWhileUpdating: 3 });

      // Act
      await adapter(clock).updateDomains('ADD', [
        'Evil.Example.com.',
        'evil.example.com',
        '*.bad.example.net',
      ]);

      // Assess
      expect(mock).toHaveReceivedCommandExactlyOnceWith(UpdateFirewallDomainsCommand, {
        FirewallDomainListId: LIST_ID,
        Operation: 'ADD',
        Domains: ['evil.example.com', '*.bad.example.net'],
      });
      expect(mock).toHaveReceivedCommandWith(GetFirewallDomainListCommand, { FirewallDomainListId: LIST_ID });
      expect(state.status).toBe('COMPLETE');
      expect(commandNames()).toEqual([
        'GetFirewallDomainListCommand',
        'UpdateFirewallDomainsCommand',
        'GetFirewallDomainListCommand',
        'GetFirewallDomainListCommand',
        'GetFirewallDomainListCommand',
        'GetFirewallDomainListCommand',
      ]);
    });

    it('sends REMOVE as the operation', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver({ domains: ['evil.example.com'] });

      // Act
      await adapter(clock).updateDomains('REMOVE', ['evil.example.com']);

      // Assess
      expect(mock).toHaveReceivedCommandWith(UpdateFirewallDomainsCommand, {
        Operation: 'REMOVE',
        Domains: ['evil.example.com'],
      });
    });

    it('waits for a list that is UPDATING before writing to it', async () => {
      // Prepare
      const clock = fakeTime();
      const state = fakeResolver({ status: 'UPDATING' });
      state.pollsLeft = 2;

      // Act
      await adapter(clock).updateDomains('ADD', ['evil.example.com']);

      // Assess
      expect(commandNames().slice(0, 4)).toEqual([
        'GetFirewallDomainListCommand',
        'GetFirewallDomainListCommand',
        'GetFirewallDomainListCommand',
        'UpdateFirewallDomainsCommand',
      ]);
      expect(mock).toHaveReceivedCommandOnce(UpdateFirewallDomainsCommand);
    });

    it('does not poll again before the next write when its own last write was seen COMPLETE', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver({ pollsWhileUpdating: 0 });
      const list = adapter(clock);
      await list.updateDomains('ADD', ['a.example.com']);
      mock.resetHistory();

      // Act
      await list.updateDomains('ADD', ['b.example.com']);

      // Assess
      expect(commandNames()).toEqual(['UpdateFirewallDomainsCommand', 'GetFirewallDomainListCommand']);
    });

    it('makes no request for an empty list, more than 1,000 domains or an invalid name', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver();
      const list = adapter(clock);

      // Act
      await list.updateDomains('ADD', []);
      const tooMany = list.updateDomains('ADD', manyDomains(1001));
      const invalid = list.updateDomains('REMOVE', ['evil.example.com/x']);

      // Assess
      await expect(tooMany).rejects.toBeInstanceOf(InvalidInputError);
      await expect(invalid).rejects.toMatchObject({ field: 'domains[0]' });
      expect(mock).not.toHaveReceivedAnyCommand();
    });

    it('spaces every request by at least 200 ms (5 requests/s)', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver({ pollsWhileUpdating: 0 });
      const at: number[] = [];
      mock.on(GetFirewallDomainListCommand).callsFake(() => {
        at.push(clock.time.now);
        return { FirewallDomainList: { Status: 'COMPLETE' } };
      });
      mock.on(UpdateFirewallDomainsCommand).callsFake(() => {
        at.push(clock.time.now);
        return { Status: 'UPDATING' };
      });
      const list = adapter(clock);

      // Act
      await list.updateDomains('ADD', ['a.example.com']);
      await list.updateDomains('ADD', ['b.example.com']);

      // Assess
      expect(at).toEqual([0, 200, 400, 600, 800]);
    });

    it('uses the configured interval between requests', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver({ pollsWhileUpdating: 0 });
      const at: number[] = [];
      mock.on(GetFirewallDomainListCommand).callsFake(() => {
        at.push(clock.time.now);
        return { FirewallDomainList: { Status: 'COMPLETE' } };
      });

      // Act
      const list = adapter(clock, { minIntervalMs: 1000 });
      await list.updateDomains('ADD', ['a.example.com']);

      // Assess
      expect(at).toEqual([0, 2000]);
    });

    it('polls with a backoff that doubles from 500 ms and stays at 5 s', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver({ pollsWhileUpdating: 7 });
      const list = adapter(clock);
      await list.updateDomains('ADD', ['a.example.com']);

      // Act
      const pollDelays = clock.time.sleeps.filter((ms) => ms >= 500);

      // Assess
      expect(pollDelays).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
    });

    it('gives up on a list that stays UPDATING with ConcurrentUpdateError after maxWaitAttempts polls', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver({ pollsWhileUpdating: 1_000 });
      const list = adapter(clock, { maxWaitAttempts: 4 });

      // Act
      const result = list.updateDomains('ADD', ['a.example.com']);

      // Assess
      await expect(result).rejects.toBeInstanceOf(ConcurrentUpdateError);
      await expect(result).rejects.toMatchObject({ code: 'UPDATING', retryable: true });
      expect(mock).toHaveReceivedCommandTimes(GetFirewallDomainListCommand, 1 + 4);
    });

    it('makes its write, then stops waiting for a list that stays UPDATING when its time is up', async () => {
      // Prepare
      const clock = fakeTime();
      const state = fakeResolver({ pollsWhileUpdating: 1_000 });
      const list = adapter(clock);

      // Act
      await list.updateDomains('ADD', ['a.example.com'], { withinMs: 20_000 });

      // Assess
      expect(state.sortedDomains()).toEqual(['a.example.com.']);
      expect(clock.time.now).toBeLessThanOrEqual(20_000);
      expect(clock.time.sleeps.filter((ms) => ms >= 500)).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    });

    it('writes nothing and throws DeadlineReachedError when the list is still UPDATING when its time is up', async () => {
      // Prepare
      const clock = fakeTime();
      const state = fakeResolver({ status: 'UPDATING' });
      state.pollsLeft = 1_000;
      const list = adapter(clock);

      // Act
      const result = list.updateDomains('ADD', ['a.example.com'], { withinMs: 10_000 });

      // Assess
      await expect(result).rejects.toBeInstanceOf(DeadlineReachedError);
      expect(mock).not.toHaveReceivedCommand(UpdateFirewallDomainsCommand);
      expect(state.sortedDomains()).toEqual([]);
      expect(clock.time.now).toBeLessThanOrEqual(10_000);
    });

    it('refuses to write to a list that is DELETING with TargetNotFoundError', async () => {
      // Prepare
      const clock = fakeTime();
      const state = fakeResolver({ status: 'DELETING' });
      state.statusMessage = 'Deleting the Firewall Domain List';

      // Act
      const result = adapter(clock).updateDomains('ADD', ['a.example.com']);

      // Assess
      await expect(result).rejects.toBeInstanceOf(TargetNotFoundError);
      await expect(result).rejects.toMatchObject({
        code: 'DELETING',
        message: expect.stringContaining('Deleting'),
      });
      expect(mock).not.toHaveReceivedCommand(UpdateFirewallDomainsCommand);
    });

    it('writes to a list in COMPLETE_IMPORT_FAILED at once, as to a COMPLETE one', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver({ failedImport: 'Import failed: s3 object not found', pollsWhileUpdating: 0 });

      // Act
      await adapter(clock).updateDomains('ADD', ['a.example.com']);

      // Assess
      expect(commandNames()).toEqual([
        'GetFirewallDomainListCommand',
        'UpdateFirewallDomainsCommand',
        'GetFirewallDomainListCommand',
      ]);
      expect(mock).toHaveReceivedCommandWith(UpdateFirewallDomainsCommand, { Domains: ['a.example.com'] });
    });

    it('retries a throttled write and succeeds', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver({ pollsWhileUpdating: 0 });
      mock
        .on(UpdateFirewallDomainsCommand)
        .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata }))
        .resolves({ Status: 'UPDATING' });

      // Act
      await adapter(clock).updateDomains('ADD', ['a.example.com']);

      // Assess
      expect(mock).toHaveReceivedCommandTimes(UpdateFirewallDomainsCommand, 2);
    });

    it('throws ThrottledError when the write stays throttled', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver();
      mock
        .on(UpdateFirewallDomainsCommand)
        .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata }));

      // Act
      const result = adapter(clock).updateDomains('ADD', ['a.example.com']);

      // Assess
      await expect(result).rejects.toBeInstanceOf(ThrottledError);
      expect(mock).toHaveReceivedCommandTimes(UpdateFirewallDomainsCommand, 6);
    });

    it('checks the status again after a ConflictException, then writes', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver({ pollsWhileUpdating: 0 });
      mock
        .on(UpdateFirewallDomainsCommand)
        .rejectsOnce(new ConflictException({ message: 'state transition', $metadata }))
        .resolves({ Status: 'UPDATING' });

      // Act
      await adapter(clock).updateDomains('ADD', ['a.example.com']);

      // Assess
      expect(commandNames()).toEqual([
        'GetFirewallDomainListCommand',
        'UpdateFirewallDomainsCommand',
        'GetFirewallDomainListCommand',
        'UpdateFirewallDomainsCommand',
        'GetFirewallDomainListCommand',
      ]);
    });

    it('throws ConcurrentUpdateError ConflictException when conflicts persist', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver();
      mock
        .on(UpdateFirewallDomainsCommand)
        .rejects(new ConflictException({ message: 'state transition', $metadata }));

      // Act
      const result = adapter(clock).updateDomains('ADD', ['a.example.com']);

      // Assess
      await expect(result).rejects.toBeInstanceOf(ConcurrentUpdateError);
      await expect(result).rejects.toMatchObject({ code: 'ConflictException' });
      expect(mock).toHaveReceivedCommandTimes(UpdateFirewallDomainsCommand, 6);
    });

    it('maps LimitExceededException to TargetCapacityError without retrying', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver();
      mock
        .on(UpdateFirewallDomainsCommand)
        .rejects(new LimitExceededException({ message: 'limit', $metadata, ResourceType: 'domain' }));

      // Act
      const result = adapter(clock).updateDomains('ADD', ['a.example.com']);

      // Assess
      await expect(result).rejects.toBeInstanceOf(TargetCapacityError);
      await expect(result).rejects.toMatchObject({ code: 'LimitExceededException', retryable: false });
      expect(mock).toHaveReceivedCommandTimes(UpdateFirewallDomainsCommand, 1);
    });

    it('maps ResourceNotFoundException on a write to TargetNotFoundError', async () => {
      // Prepare
      const clock = fakeTime();
      mock
        .on(GetFirewallDomainListCommand)
        .rejects(new ResourceNotFoundException({ message: 'no such list', $metadata }));

      // Act
      const result = adapter(clock).updateDomains('ADD', ['a.example.com']);

      // Assess
      await expect(result).rejects.toBeInstanceOf(TargetNotFoundError);
      await expect(result).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
    });

    it('maps ValidationException to InvalidInputError and keeps the SDK error as the cause', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver();
      const refused = new ValidationException({ message: 'Invalid domain name', $metadata });
      mock.on(UpdateFirewallDomainsCommand).rejects(refused);

      // Act
      const result = adapter(clock).updateDomains('ADD', ['a.example.com']);

      // Assess
      await expect(result).rejects.toBeInstanceOf(InvalidInputError);
      await expect(result).rejects.toMatchObject({ cause: refused, field: 'domains' });
    });

    it('lets AccessDeniedException through unchanged and unretried', async () => {
      // Prepare
      const clock = fakeTime();
      fakeResolver();
      const denied = new AccessDeniedException({
        message: 'not authorized to perform: route53resolver:UpdateFirewallDomains',
        $metadata,
      });
      mock.on(UpdateFirewallDomainsCommand).rejects(denied);

      // Act
      const result = adapter(clock).updateDomains('ADD', ['a.example.com']);

      // Assess
      await expect(result).rejects.toBe(denied);
      expect(mock).toHaveReceivedCommandTimes(UpdateFirewallDomainsCommand, 1);
    });
  });
});
