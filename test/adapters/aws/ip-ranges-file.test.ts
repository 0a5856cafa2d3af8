import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAwsIpRanges } from '#adapters/aws/ip-ranges-file';
import { toRange } from '#domain/cidr';
import { InvalidInputError } from '#domain/errors';

let folder = '';

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'ip-ranges-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('readAwsIpRanges', () => {
  it('reads a file in AWS format and indexes it', async () => {
    // Prepare
    const path = join(folder, 'ip-ranges.json');
    await writeFile(
      path,
      JSON.stringify({
        syncToken: '1787411825',
        createDate: '2026-08-22-15-17-05',
        prefixes: [
          { ip_prefix: '198.51.100.0/24', region: 'eu-west-1', service: 'AMAZON', network_border_group: 'x' },
          { ip_prefix: '198.51.100.0/24', region: 'eu-west-1', service: 'S3', network_border_group: 'x' },
        ],
        ipv6_prefixes: [
          {
            ipv6_prefix: '2001:DB8:EC2::/48',
            region: 'eu-west-1',
            service: 'EC2',
            network_border_group: 'x',
          },
        ],
      }),
    );

    // Act
    const ranges = await readAwsIpRanges(path);

    // Assess
    expect(ranges.source).toBe(`${path} (syncToken 1787411825, createDate 2026-08-22-15-17-05)`);
    expect(ranges.size).toBe(2);
    expect(ranges.lookup(toRange('198.51.100.7/32'))).toEqual({
      cidr: '198.51.100.0/24',
      services: ['S3'],
      region: 'eu-west-1',
      rentable: false,
    });
    expect(ranges.lookup(toRange('2001:db8:ec2::1/128'))?.rentable).toBe(true);
  });

  it.each([
    ['missing.json', null, 'cannot read'],
    ['broken.json', '{"syncToken":', 'is not JSON'],
  ])('names the path of %s when it cannot be used', async (name, content, message) => {
    // Prepare
    const path = join(folder, name);
    if (content !== null) await writeFile(path, content);

    // Act
    const result = readAwsIpRanges(path);

    // Assess
    await expect(result).rejects.toThrow(InvalidInputError);
    await expect(result).rejects.toThrow(`${message}`);
    await expect(result).rejects.toThrow(path);
  });
});
