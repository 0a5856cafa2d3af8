import { describe, expect, it } from 'vitest';
import { InMemoryDomainBaselineStore } from '#adapters/in-memory/domain-baseline';
import { InvalidInputError } from '#domain/errors';
import { describeDomainBaselineStoreContract } from '../../contracts/domain-baseline.contract';

describeDomainBaselineStoreContract('InMemoryDomainBaselineStore', async (pageSize) =>
  pageSize === undefined ? new InMemoryDomainBaselineStore() : new InMemoryDomainBaselineStore({ pageSize }),
);

describe('InMemoryDomainBaselineStore', () => {
  it('refuses a page size that is not a positive integer, naming it', () => {
    // Act and Assess
    expect(() => new InMemoryDomainBaselineStore({ pageSize: 0 })).toThrow(InvalidInputError);
    expect(() => new InMemoryDomainBaselineStore({ pageSize: 0 })).toThrow(/pageSize|0/);
  });
});
