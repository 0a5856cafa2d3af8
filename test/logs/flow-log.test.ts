import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#domain/errors';
import { decodeSubscriptionEvent } from '#shared/logs/cloudwatch-subscription';
import {
  DEFAULT_FLOW_LOG_FORMAT,
  type FlowLogEntry,
  type FlowRecord,
  flowLogFormatFromHeader,
  parseFlowLogEvents,
  parseFlowLogFormat,
  parseFlowLogLines,
  parseFlowRecord,
} from '#shared/logs/flow-log';
import { readLogObject } from '#shared/logs/lines';
import { bodyOf, collect, sampleText, subscriptionEvent } from './samples';

async function parseFile(name: string): Promise<FlowLogEntry[]> {
  return collect(parseFlowLogLines(readLogObject(bodyOf(sampleText(name), 13), name)));
}

/** A flow log's format string in AWS's syntax, `${version} ${srcaddr} …`, from the field names. */
const awsFormat = (names: string) =>
  names
    .split(' ')
    .map((name) => `\${${name}}`)
    .join(' ');

const flows = (entries: FlowLogEntry[]) =>
  entries.filter((entry): entry is FlowRecord => entry.kind === 'flow');

describe('parseFlowLogLines on the documented samples', () => {
  it('reads the default version-2 format without a header: traffic, NODATA, SKIPDATA, ICMP and IPv6', async () => {
    // Act
    const entries = await parseFile('vpc-flow-default-v2-docs.log');

    // Assess
    expect(entries.map((entry) => entry.kind)).toEqual([
      'flow',
      'flow',
      'flow-status',
      'flow-status',
      'flow',
      'flow',
      'flow',
    ]);
    expect(entries[0]).toMatchObject({
      kind: 'flow',
      position: 1,
      version: 2,
      accountId: '123456789010',
      interfaceId: 'eni-1235b8ca123456789',
      srcaddr: '172.31.16.139',
      dstaddr: '172.31.16.21',
      srcport: 20641,
      dstport: 22,
      protocol: 6,
      packets: 20,
      bytes: 4249,
      start: 1418530010,
      end: 1418530070,
      action: 'ACCEPT',
      logStatus: 'OK',
    });
    expect(entries[1]).toMatchObject({ action: 'REJECT', dstport: 3389 });
    expect(entries[2]).toEqual({
      kind: 'flow-status',
      position: 3,
      logStatus: 'NODATA',
      accountId: '123456789010',
      interfaceId: 'eni-1235b8ca123456789',
      start: 1431280876,
      end: 1431280934,
    });
    expect(entries[3]).toMatchObject({ logStatus: 'SKIPDATA', interfaceId: 'eni-11111111aaaaaaaaa' });
    expect(entries[6]).toMatchObject({
      srcaddr: '2001:db8:1234:a100:8d6e:3477:df66:f105',
      dstaddr: '2001:db8:1234:a102:3304:8879:34cf:4071',
    });
  });

  it('reads the custom v3 format named by the header, TCP flags included, despite a double space', async () => {
    // Act
    const records = flows(await parseFile('vpc-flow-custom-v3-tcp-flags-docs.log'));

    // Assess
    expect(records.map((record) => record.tcpFlags)).toEqual([2, 18, 2, 18, 1, 1, 3, 19]);
    expect(records[0]).toMatchObject({
      position: 2,
      version: 3,
      vpcId: 'vpc-abcdefab012345678',
      subnetId: 'subnet-aaaaaaaa012345678',
      instanceId: 'i-01234567890123456',
      type: 'IPv4',
      pktSrcaddr: '52.213.180.42',
      pktDstaddr: '10.0.0.62',
      bytes: 568,
      packets: 8,
    });
  });

  it('reads the transit gateway sample, where pkt-srcaddr differs from srcaddr and instance-id is absent', async () => {
    // Act
    const records = flows(await parseFile('vpc-flow-custom-v3-transit-gateway-docs.log'));

    // Assess
    expect(records).toHaveLength(4);
    expect(records[2]).toMatchObject({
      srcaddr: '10.40.1.175',
      pktSrcaddr: '10.20.33.164',
      instanceId: undefined,
    });
  });

  it('reads the v5 fields: AWS service, traffic path and flow direction', async () => {
    // Act
    const records = flows(await parseFile('vpc-flow-custom-v5-traffic-path-docs.log'));

    // Assess
    expect(records[0]).toMatchObject({
      region: 'ap-southeast-2',
      azId: 'apse2-az3',
      sublocationType: undefined,
      pktSrcAwsService: 'S3',
      pktDstAwsService: undefined,
      trafficPath: undefined,
      flowDirection: 'ingress',
    });
    expect(records[1]).toMatchObject({
      pktDstAwsService: 'S3',
      trafficPath: 8,
      flowDirection: 'egress',
      dstaddr: '52.95.128.179',
    });
  });

  it('reads the NAT gateway sample, a format without version, action or log-status', async () => {
    // Act
    const entries = await parseFile('vpc-flow-custom-nat-gateway-docs.log');

    // Assess
    expect(entries).toHaveLength(6);
    expect(entries[0]).toMatchObject({
      kind: 'flow',
      instanceId: undefined,
      srcaddr: '10.0.1.5',
      dstaddr: '10.0.0.220',
      pktDstaddr: '203.0.113.5',
    });
    expect(entries[4]).toMatchObject({ instanceId: 'i-01234567890123456', dstaddr: '203.0.113.5' });
  });

  it('reads a gzip file as AWS writes it to S3', async () => {
    // Prepare
    const { gzipSync } = await import('node:zlib');
    const gzip = gzipSync(sampleText('vpc-flow-custom-v5-traffic-path-docs.log'));

    // Act
    const entries = await collect(parseFlowLogLines(readLogObject(bodyOf(gzip, 50), 'x/y.log.gz')));

    // Assess
    expect(flows(entries)).toHaveLength(2);
  });
});

describe('parseFlowRecord', () => {
  it.each([
    ['2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2', 'has 12 fields, the format has 14'],
    ['2 1 eni-1 10.0.0.1 10.0.0.256 1 2 6 1 1 1 2 ACCEPT OK', 'dstaddr "10.0.0.256" is not an IP address'],
    ['2 1 eni-1 10.0.0.1 010.0.0.2 1 2 6 1 1 1 2 ACCEPT OK', 'dstaddr "010.0.0.2" is not an IP address'],
    [
      '2 1 eni-1 10.0.0.1 10.0.0.2 1 65536 6 1 1 1 2 ACCEPT OK',
      'dstport "65536" is not an integer from 0 to 65535',
    ],
    ['2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 -1 1 1 2 ACCEPT OK', 'packets "-1" is not an integer'],
    ['2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1e3 1 2 ACCEPT OK', 'bytes "1e3" is not an integer'],
    ['2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ALLOW OK', 'action "ALLOW" is not one of ACCEPT, REJECT'],
    [
      '2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT DONE',
      'log-status "DONE" is not one of OK, NODATA, SKIPDATA',
    ],
  ])('reports %j as malformed: %s', (line, reason) => {
    // Act
    const entry = parseFlowRecord(line, DEFAULT_FLOW_LOG_FORMAT, 7);

    // Assess
    expect(entry).toMatchObject({ kind: 'malformed', position: 7 });
    expect(entry.kind === 'malformed' && entry.reason).toContain(reason);
  });

  it('keeps bytes beyond 32 bits as an exact number', () => {
    expect(
      parseFlowRecord(
        '2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 9007199254740991 1 2 ACCEPT OK',
        DEFAULT_FLOW_LOG_FORMAT,
        1,
      ),
    ).toMatchObject({ bytes: Number.MAX_SAFE_INTEGER });
  });

  it('keeps fields it has no property for by their name', () => {
    // Prepare
    const format = parseFlowLogFormat(awsFormat('srcaddr dstaddr ecs-cluster-name reject-reason'));

    // Act
    const entry = parseFlowRecord('10.0.0.1 198.51.100.7 prod BPA', format, 1);

    // Assess
    expect(entry).toMatchObject({
      kind: 'flow',
      other: { 'ecs-cluster-name': 'prod', 'reject-reason': 'BPA' },
    });
  });

  it('never throws on arbitrary lines, in any format', () => {
    const names = [
      'version',
      'srcaddr',
      'dstport',
      'bytes',
      'action',
      'log-status',
      'tcp-flags',
      'flow-direction',
      'x-y',
    ];
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...names), { minLength: 1 }),
        fc.oneof(
          fc.string(),
          fc
            .array(fc.constantFrom('-', '1', '10.0.0.1', 'ACCEPT', 'OK', 'NODATA', '::1', 'ingress', 'x'))
            .map((tokens) => tokens.join(' ')),
        ),
        (fields, line) => {
          const entry = parseFlowRecord(line, parseFlowLogFormat(awsFormat(fields.join(' '))), 1);
          expect(['flow', 'flow-status', 'malformed']).toContain(entry.kind);
        },
      ),
    );
  });
});

describe('flow-log formats', () => {
  it('reads a configured format string into its field names', () => {
    expect(
      parseFlowLogFormat(`${awsFormat('version account-id')}  ${awsFormat('interface-id')}`).fields,
    ).toEqual(['version', 'account-id', 'interface-id']);
  });

  it('refuses a format string part that is not a dollar-brace field, naming it', () => {
    // Act
    const act = () => parseFlowLogFormat(`${awsFormat('version')} account-id`);

    // Assess
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(
      `"account-id" in "${awsFormat('version')} account-id" is not ${awsFormat('field-name')}`,
    );
  });

  it('refuses a field named twice', () => {
    expect(() => parseFlowLogFormat(awsFormat('srcaddr srcaddr'))).toThrow('"srcaddr" appears twice');
  });

  it('tells a header line from a record', () => {
    expect(flowLogFormatFromHeader('version srcaddr dstaddr')?.fields).toEqual([
      'version',
      'srcaddr',
      'dstaddr',
    ]);
    expect(
      flowLogFormatFromHeader('- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5'),
    ).toBeUndefined();
    expect(flowLogFormatFromHeader('constructor toString')).toBeUndefined();
  });

  it('reports a header naming a field twice and reads the rest in the given format', async () => {
    // Prepare
    const text = 'srcaddr srcaddr\n2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n';

    // Act
    const entries = await collect(parseFlowLogLines(readLogObject(bodyOf(text))));

    // Assess
    expect(entries).toMatchObject([
      { kind: 'malformed', position: 1, reason: 'header flow log format: "srcaddr" appears twice' },
      { kind: 'flow', position: 2 },
    ]);
  });
});

describe('parseFlowLogEvents', () => {
  it('reads a subscription batch in the configured format, with log event ids as positions', () => {
    // Prepare
    const format = parseFlowLogFormat(
      awsFormat(
        'version vpc-id srcaddr dstaddr dstport protocol bytes action flow-direction pkt-dst-aws-service log-status',
      ),
    );
    const event = subscriptionEvent([
      '5 vpc-1 10.0.0.5 198.51.100.7 443 6 5000 ACCEPT egress - OK',
      '5 vpc-1 10.0.0.5 not-an-address 443 6 5000 ACCEPT egress - OK',
      '5 vpc-1 - - - - - - - - NODATA',
    ]);

    // Act
    const entries = parseFlowLogEvents(decodeSubscriptionEvent(event).logEvents, format);

    // Assess
    expect(entries).toMatchObject([
      {
        kind: 'flow',
        position: 'e1',
        vpcId: 'vpc-1',
        dstaddr: '198.51.100.7',
        bytes: 5000,
        flowDirection: 'egress',
      },
      { kind: 'malformed', position: 'e2', reason: 'dstaddr "not-an-address" is not an IP address' },
      { kind: 'flow-status', position: 'e3', logStatus: 'NODATA' },
    ]);
  });

  it('reads the default format when none is configured', () => {
    // Prepare
    const lines = sampleText('vpc-flow-default-v2-docs.log').trim().split('\n');

    // Act
    const entries = parseFlowLogEvents(decodeSubscriptionEvent(subscriptionEvent(lines)).logEvents);

    // Assess
    expect(entries.map((entry) => entry.kind)).toEqual([
      'flow',
      'flow',
      'flow-status',
      'flow-status',
      'flow',
      'flow',
      'flow',
    ]);
  });
});
