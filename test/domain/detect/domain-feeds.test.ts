import { describe, expect, it } from 'vitest';
import { DomainSuffixSet, domainFeedMatcher, parseDomainFeed } from '#domain/detect/domain-feeds';

describe('parseDomainFeed', () => {
  it('reads hosts-file and one-name-a-line feeds, skipping comments, blank lines and hosts headers', () => {
    // Prepare
    const text = [
      '# URLhaus hostfile',
      '127.0.0.1\tlocalhost',
      '',
      '0.0.0.0 Evil.Example.',
      '127.0.0.1\tdrop.bad.example # seen 2026-11-27',
      '// another comment',
      'plain.example',
      '*.wild.example',
      '0.0.0.0 a.multi.example b.multi.example',
    ].join('\n');

    // Act
    const feed = parseDomainFeed('mixed', text);

    // Assess
    expect(feed).toEqual({
      name: 'mixed',
      domains: [
        'evil.example',
        'drop.bad.example',
        'plain.example',
        'wild.example',
        'a.multi.example',
        'b.multi.example',
      ],
      errors: [],
    });
  });

  it('reports each bad line with its number and reason and keeps the rest', () => {
    const text = [
      'good.example',
      'http://evil.example/x',
      '198.51.100.7',
      'co.uk',
      'two names.example here',
      'bad_name.example',
      '0.0.0.0',
    ].join('\r\n');

    const feed = parseDomainFeed('bad', text);

    expect(feed.domains).toEqual(['good.example']);
    expect(feed.errors.map((e) => [e.line, e.reason])).toEqual([
      [2, 'is a URL or a network, not a name: domain feeds list names only'],
      [3, 'is an IP address or network, not a domain name'],
      [4, 'co.uk is a public suffix: blocking it would block every site under it'],
      [5, 'must be one name, or a hosts-file line "0.0.0.0 name"'],
      [6, 'contains an underscore, which DNS Firewall does not accept'],
      [7, 'a hosts-file line needs a name after the address'],
    ]);
  });
});

describe('domainFeedMatcher', () => {
  it('matches a name and its parents, label by label, naming every feed that lists the widest entry', () => {
    const matcher = domainFeedMatcher([
      parseDomainFeed('one', 'evil.example\nsub.other.example\n'),
      parseDomainFeed('two', 'evil.example\n'),
    ]);

    expect(matcher.match('a.b.evil.example')).toEqual({ domain: 'evil.example', tags: ['one', 'two'] });
    expect(matcher.match('evil.example')?.domain).toBe('evil.example');
    expect(matcher.match('x.sub.other.example')?.tags).toEqual(['one']);
    expect(matcher.match('other.example')).toBeUndefined();
    expect(matcher.match('notevil.example')).toBeUndefined();
    expect(matcher.match('example')).toBeUndefined();
  });

  it('answers correctly against 100,000 feed names', () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `host${i}.feed${i % 997}.example`);
    const matcher = domainFeedMatcher([parseDomainFeed('big', names.join('\n'))]);

    const hits = Array.from({ length: 100_000 }, (_, i) => matcher.has(`x.host${i}.feed${i % 997}.example`));
    const misses = Array.from({ length: 1000 }, (_, i) =>
      matcher.has(`host${i}.feed${(i + 1) % 997}.example`),
    );

    expect(matcher.size).toBe(100_000);
    expect(hits.every(Boolean)).toBe(true);
    expect(misses.some(Boolean)).toBe(false);
  });
});

describe('DomainSuffixSet.of', () => {
  it('normalises case, trailing dots and wildcards', () => {
    const set = DomainSuffixSet.of(['*.Corp.Example.', 'partner.example']);

    expect(set.has('db.corp.example')).toBe(true);
    expect(set.has('corp.example')).toBe(true);
    expect(set.has('notpartner.example')).toBe(false);
  });
});
