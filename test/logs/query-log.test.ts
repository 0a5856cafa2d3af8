import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSubscriptionEvent } from '#shared/logs/cloudwatch-subscription';
import { readLogObject } from '#shared/logs/lines';
import { parseQueryLogEvents, parseQueryLogLine, parseQueryLogLines } from '#shared/logs/query-log';
import { bodyOf, collect, sampleJson, sampleText, subscriptionEvent } from './samples';

/** A query-log record as AWS writes it, with `overrides` applied (undefined removes a field). */
function queryLine(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: '1.100000',
    account_id: '123456789012',
    region: 'eu-west-1',
    vpc_id: 'vpc-0abc',
    query_timestamp: '2026-11-28T09:50:00Z',
    query_name: 'WWW.Example.COM.',
    query_type: 'A',
    query_class: 'IN',
    rcode: 'NOERROR',
    answers: [{ Rdata: '198.51.100.7', Type: 'A', Class: 'IN' }],
    srcaddr: '10.0.1.5',
    srcport: '53211',
    transport: 'UDP',
    srcids: { instance: 'i-0123456789abcdef0' },
    ...overrides,
  });
}

describe('parseQueryLogLine', () => {
  it('reads the documented record: name normalised, ids, firewall fields, raw line kept', () => {
    // Prepare
    const line = sampleText('r53-query-log-docs-example.log').trim();

    // Act
    const entry = parseQueryLogLine(line, 1);

    // Assess
    expect(entry).toEqual({
      kind: 'query',
      position: 1,
      queryName: '15.3.4.32.in-addr.arpa',
      queryType: 'PTR',
      queryClass: 'IN',
      rcode: 'NOERROR',
      answers: [{ rdata: '203.0.113.9', type: 'PTR', class: 'IN' }],
      srcaddr: '4.5.64.102',
      srcport: 56067,
      transport: 'UDP',
      instanceId: 'i-0d15cd0d3example',
      resolverEndpoint: undefined,
      vpcId: 'vpc-7example',
      accountId: '111122223333',
      region: 'us-east-1',
      queryTimestamp: '2021-02-04T17:51:55Z',
      time: Date.UTC(2021, 1, 4, 17, 51, 55),
      firewallRuleAction: 'BLOCK',
      firewallRuleGroupId: 'rslvr-frg-01234567890abcdef',
      firewallDomainListId: 'rslvr-fdl-01234567890abcdef',
      raw: line,
    });
  });

  it('reads the pretty-printed docs block the same as its one-line form', () => {
    // Prepare
    const pretty = sampleText('r53-query-log-docs-example-block.json.sample');

    // Act
    const entry = parseQueryLogLine(pretty, 1);

    // Assess
    expect(entry).toMatchObject({ kind: 'query', queryName: '15.3.4.32.in-addr.arpa' });
    expect(sampleJson('r53-query-log-docs-example-block.json.sample')).toHaveProperty('srcport', '56067');
  });

  it('lowercases the name and drops the trailing dot, keeping the root as "."', () => {
    expect(parseQueryLogLine(queryLine(), 1)).toMatchObject({ queryName: 'www.example.com' });
    expect(parseQueryLogLine(queryLine({ query_name: '.' }), 1)).toMatchObject({ queryName: '.' });
  });

  it('reads a record without answers, srcids or firewall fields', () => {
    // Act
    const entry = parseQueryLogLine(
      queryLine({ rcode: 'NXDOMAIN', answers: [], srcids: {}, query_type: 'TXT' }),
      1,
    );

    // Assess
    expect(entry).toMatchObject({
      kind: 'query',
      rcode: 'NXDOMAIN',
      answers: [],
      instanceId: undefined,
      firewallRuleAction: undefined,
    });
  });

  it('reads a query from a resolver endpoint', () => {
    expect(
      parseQueryLogLine(
        queryLine({ srcids: { resolver_endpoint: 'rslvr-in-0123' }, srcaddr: '2001:db8::5' }),
        1,
      ),
    ).toMatchObject({ resolverEndpoint: 'rslvr-in-0123', instanceId: undefined, srcaddr: '2001:db8::5' });
  });

  it.each([
    ['{"query_name":', 'is not JSON'],
    ['[1,2]', 'is not a JSON object'],
    [queryLine({ query_name: undefined }), 'query_name is missing'],
    [queryLine({ query_name: 5 }), 'query_name 5 is not valid'],
    [queryLine({ query_type: '' }), 'query_type "" is not valid'],
    [queryLine({ srcaddr: '10.0.1' }), 'srcaddr "10.0.1" is not valid'],
    [queryLine({ srcport: '70000' }), 'srcport "70000" is not valid'],
    [queryLine({ query_timestamp: 'yesterday' }), 'query_timestamp "yesterday" is not valid'],
    [queryLine({ answers: 'none' }), 'answers "none" is not valid'],
    [queryLine({ srcids: 'i-1' }), 'srcids "i-1" is not valid'],
  ])('reports %s as malformed: %s', (line, reason) => {
    expect(parseQueryLogLine(line, 4)).toEqual({
      kind: 'malformed',
      position: 4,
      reason: expect.stringContaining(reason),
    });
  });

  it('never throws on arbitrary lines or JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((value) => JSON.stringify(value)),
          fc
            .dictionary(
              fc.constantFrom(
                'query_name',
                'srcaddr',
                'srcport',
                'answers',
                'srcids',
                'query_timestamp',
                'rcode',
                'query_type',
              ),
              fc.jsonValue(),
            )
            .map((fields) => queryLine(fields)),
        ),
        (line) => {
          expect(['query', 'malformed']).toContain(parseQueryLogLine(line, 1).kind);
        },
      ),
    );
  });
});

describe('parseQueryLogLines', () => {
  it('reads a gzip file one record a line, skipping blank lines and reporting bad ones by line number', async () => {
    // Prepare
    const text = `${queryLine()}\n\n${queryLine({ srcport: 'x' })}\r\n${queryLine({ query_name: 'b.example.org.' })}`;

    // Act
    const entries = await collect(parseQueryLogLines(readLogObject(bodyOf(gzipSync(text), 64), 'q.log.gz')));

    // Assess
    expect(entries).toMatchObject([
      { kind: 'query', position: 1, queryName: 'www.example.com' },
      { kind: 'malformed', position: 3 },
      { kind: 'query', position: 4, queryName: 'b.example.org' },
    ]);
  });
});

describe('parseQueryLogEvents', () => {
  it('reads a subscription batch with the log event ids as positions', () => {
    // Prepare
    const event = subscriptionEvent([queryLine(), 'garbage'], {
      logGroup: '/egress-warden/query-logs',
      logStream: 'vpc-0abc_1',
    });

    // Act
    const entries = parseQueryLogEvents(decodeSubscriptionEvent(event).logEvents);

    // Assess
    expect(entries).toMatchObject([
      { kind: 'query', position: 'e1' },
      { kind: 'malformed', position: 'e2' },
    ]);
  });
});
