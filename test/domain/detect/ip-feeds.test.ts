import { describe, expect, it } from 'vitest';
import { indexIpFeeds, MAX_REPORTED_PROBLEMS, parseIpFeed } from '#domain/detect/ip-feeds';

describe('parseIpFeed', () => {
  it('reads a plain list: comments, blank lines, CIDRs, IPv6, and a trailing comment as the label', () => {
    // Prepare
    const text = [
      '# Feodo Tracker Botnet C2 IP Blocklist',
      '; another comment style',
      '// and RITA’s',
      '',
      '198.51.100.7',
      '  203.0.113.0/24 ; SBL000001',
      '2001:DB8:0:0::/48 # upper case and zeros',
      '198.51.100.77/24',
    ].join('\r\n');
    // Act
    const feed = parseIpFeed('feodo', 'plain', text);
    // Assess
    expect(feed.problems).toEqual([]);
    expect(feed.entries.map((entry) => [entry.cidr, entry.label])).toEqual([
      ['198.51.100.7/32', undefined],
      ['203.0.113.0/24', 'SBL000001'],
      ['2001:db8::/48', 'upper case and zeros'],
      ['198.51.100.0/24', undefined],
    ]);
  });

  it('reports each bad line with its number and reason, and keeps the rest', () => {
    const text = [
      '198.51.100.7',
      'evil.example.com',
      '1.2.3',
      '999.1.1.1',
      '0.0.0.0/0',
      '::/8',
      '<html>',
      '203.0.113.9',
    ].join('\n');
    const feed = parseIpFeed('mixed', 'plain', text);
    expect(feed.entries.map((entry) => entry.cidr)).toEqual(['198.51.100.7/32', '203.0.113.9/32']);
    expect(feed.problems.map((problem) => problem.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(feed.problems[0]?.reason).toBe('"evil.example.com" is a domain name, not an address or CIDR');
    expect(feed.problems[1]?.reason).toMatch(/^"1\.2\.3" .*IPv4 address written in short form/);
    expect(feed.problems[3]?.reason).toBe('"0.0.0.0/0" is wider than /8, which no IPv4 feed lists');
    expect(feed.problems[4]?.reason).toBe('"::/8" is wider than /16, which no IPv6 feed lists');
    expect(feed.problemCount).toBe(6);
  });

  it('keeps the first problems of a feed that is all garbage, and counts them all', () => {
    const text = Array.from({ length: 500 }, (_, index) => `<p>line ${index}</p>`).join('\n');
    const feed = parseIpFeed('html', 'plain', text);
    expect(feed.entries).toEqual([]);
    expect(feed.problems).toHaveLength(MAX_REPORTED_PROBLEMS);
    expect(feed.problemCount).toBe(500);
  });

  it('reads Spamhaus DROP JSON lines with the SBL id as label and skips the metadata line', () => {
    const text = [
      '{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}',
      '{"cidr":"2001:db8:1234::/48","sblid":"SBL1","rir":"ripencc"}',
      '{"cidr":"1.19.0.0/16"}',
      'not json',
      '{"sblid":"SBL2"}',
      '[1]',
      '{"type":"metadata","timestamp":1700000000,"size":123,"records":3,"copyright":"(c) 2026 The Spamhaus Project SLU"}',
      '',
    ].join('\n');
    const feed = parseIpFeed('spamhaus-drop-v4', 'spamhaus-drop', text);
    expect(feed.entries.map((entry) => [entry.cidr, entry.label])).toEqual([
      ['1.10.16.0/20', 'SBL256894'],
      ['2001:db8:1234::/48', 'SBL1'],
      ['1.19.0.0/16', undefined],
    ]);
    expect(feed.problems).toEqual([
      { line: 4, text: 'not json', reason: 'is not a JSON object' },
      { line: 5, text: '{"sblid":"SBL2"}', reason: 'has no "cidr" string' },
      { line: 6, text: '[1]', reason: 'is not a JSON object' },
    ]);
  });

  it('reads Feodo Tracker JSON with malware and port as label, reporting elements by position', () => {
    const text = JSON.stringify([
      {
        ip_address: '198.51.100.10',
        port: 443,
        status: 'online',
        malware: 'QakBot',
        first_seen: '2026-11-01 10:00:00',
      },
      { ip_address: 'nope', port: 8080, malware: 'Emotet' },
      { port: 1 },
    ]);
    const feed = parseIpFeed('feodo', 'feodo-json', text);
    expect(feed.entries.map((entry) => [entry.cidr, entry.label])).toEqual([
      ['198.51.100.10/32', 'QakBot, port 443'],
    ]);
    expect(feed.problems.map((problem) => problem.line)).toEqual([2, 3]);
    expect(parseIpFeed('feodo', 'feodo-json', '<html>').problems).toEqual([
      { line: 1, text: '<html>', reason: 'is not JSON' },
    ]);
    expect(parseIpFeed('feodo', 'feodo-json', '{}').problems[0]?.reason).toMatch(/not a JSON array/);
  });

  it('reads Feodo Tracker CSV, skipping comments and the header', () => {
    const text = [
      '################################################################',
      '# Feodo Tracker Botnet C2 IP Blocklist (CSV)                  #',
      '"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"',
      '"2026-11-01 07:30:05","198.51.100.20","443","online","2026-11-28","Pikabot"',
      '"2026-11-01 07:30:05","","443","online","2026-11-28","Pikabot"',
      '# Number of entries: 1',
    ].join('\n');
    const feed = parseIpFeed('feodo', 'feodo-csv', text);
    expect(feed.entries.map((entry) => [entry.cidr, entry.label])).toEqual([
      ['198.51.100.20/32', 'Pikabot, port 443'],
    ]);
    expect(feed.problems).toEqual([
      expect.objectContaining({ line: 5, reason: 'has no dst_ip (second field)' }),
    ]);
  });
});

describe('indexIpFeeds', () => {
  it('finds the most specific listed network, naming every feed that lists it', () => {
    // Prepare
    const drop = parseIpFeed('spamhaus-drop', 'spamhaus-drop', '{"cidr":"203.0.113.0/24","sblid":"SBL9"}');
    const feodo = parseIpFeed('feodo', 'plain', '203.0.113.9\n198.51.100.7');
    const mine = parseIpFeed(
      'mine',
      'plain',
      '203.0.113.9 # seen in an incident\n203.0.113.9 # seen in an incident',
    );
    // Act
    const index = indexIpFeeds([drop, feodo, mine]);
    // Assess
    expect(index.size).toBe(3);
    expect(index.lookupAddress('203.0.113.9')).toEqual({
      cidr: '203.0.113.9/32',
      listings: [{ feed: 'feodo' }, { feed: 'mine', label: 'seen in an incident' }],
    });
    expect(index.lookupAddress('203.0.113.10')).toEqual({
      cidr: '203.0.113.0/24',
      listings: [{ feed: 'spamhaus-drop', label: 'SBL9' }],
    });
    expect(index.lookupAddress('192.0.2.1')).toBeNull();
  });
});
