import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareRanges, formatRange, toRange } from '#domain/cidr';
import { InvalidInputError } from '#domain/errors';
import {
  blockedByRules,
  blockedSetsByRules,
  blockedSetsOfPlan,
  changedBlocks,
  EGRESS_WARDEN_SID_RANGE,
  parseOwnRules,
  planNetworkFirewall,
  renderSuricataRules,
} from '#domain/reconcile/network-firewall-plan';
import { NETWORK_FIREWALL_LIMITS, type RuleGroupSnapshot } from '#domain/target';
import { anyBlocks, block, domain, network } from './blocks';

const SPAN = EGRESS_WARDEN_SID_RANGE.last - EGRESS_WARDEN_SID_RANGE.first + 1;

/** The documented SID of a new rule identity, written out independently: FNV-1a 32-bit folded into the range. */
function expectedSlot(identity: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(identity)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return EGRESS_WARDEN_SID_RANGE.first + (hash % SPAN);
}

function sidOf(rule: string): number {
  return Number(/sid:(\d+);/.exec(rule)?.[1]);
}

/** Maps each of our rules' identity (`tls 1`) to its SID. */
function sidsByIdentity(rules: string): Map<string, number> {
  return new Map(
    parseOwnRules(rules).own.map((rule) => [
      /msg:"egress-warden block ([^"]+)"/.exec(rule)?.[1] ?? rule,
      sidOf(rule),
    ]),
  );
}

function snapshot(rules: string, capacity = 1000): RuleGroupSnapshot {
  return { rules, updateToken: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', capacity };
}

const FOREIGN = [
  '# Managed by the network team',
  'pass tls $HOME_NET any -> $EXTERNAL_NET any (tls.sni; content:"example.org"; endswith; msg:"allow example.org"; sid:1; rev:1;)',
  '',
  'drop ip $HOME_NET any -> 192.0.2.0/24 any (msg:"egress-warden block 192.0.2.0/24"; sid:42; rev:1;)',
  'alert ip any any -> any any (msg:"audit"; sid:1950000000; rev:1;)',
];

/** `count` distinct domains of about 30 characters, like the benchmark's. */
function manyDomains(count: number, severity = 5) {
  return Array.from({ length: count }, (_, index) =>
    block(domain(`feed-${index.toString(36).padStart(5, '0')}.bench-egress.example`), severity),
  );
}

/** `count` distinct addresses, half IPv4 /32 and half IPv6 /128. */
function manyAddresses(count: number, severity = 5) {
  return Array.from({ length: count }, (_, index) =>
    block(
      network(
        index % 2 === 0
          ? formatRange({ family: 4, network: 0xc6120000n + BigInt(index), prefixLength: 32 })
          : formatRange({ family: 6, network: (0x20010db8n << 96n) + BigInt(index), prefixLength: 128 }),
      ),
      severity,
    ),
  );
}

describe('renderSuricataRules', () => {
  it('writes every address into one ip rule to the blocked networks from anywhere, IPv4 and IPv6 together', () => {
    // Act
    const { rules } = renderSuricataRules([
      block(network('2001:db8::/32')),
      block(network('198.51.100.7/32')),
    ]);

    // Assess
    expect(rules).toEqual([
      `drop ip any any -> [198.51.100.7/32,2001:db8::/32] any (msg:"egress-warden block ip 1"; sid:${expectedSlot('ip 1')}; rev:1;)`,
    ]);
  });

  it('writes one TLS SNI and one HTTP Host rule for all names, each matched with or without its final dot', () => {
    // Act
    const { rules } = renderSuricataRules([
      block(domain('evil.example.org')),
      block(domain('bad-host_1.example.net')),
    ]);

    // Assess
    expect(rules).toEqual([
      `drop tls any any -> any any (msg:"egress-warden block tls 1"; flow:to_server; tls.sni; pcre:"/(?:^|\\.)(?:bad-host_1\\.example\\.net|evil\\.example\\.org)\\.?$/i"; sid:${expectedSlot('tls 1')}; rev:1;)`,
      `drop http any any -> any any (msg:"egress-warden block http 1"; flow:to_server; http.host; pcre:"/(?:^|\\.)(?:bad-host_1\\.example\\.net|evil\\.example\\.org)\\.?$/"; sid:${expectedSlot('http 1')}; rev:1;)`,
    ]);
  });

  it('writes wildcards in their own rules, which require a label before the name', () => {
    // Act
    const { rules } = renderSuricataRules([block(domain('*.evil.example.com'))]);

    // Assess
    expect(rules).toHaveLength(2);
    expect(rules[0]).toContain(
      '(msg:"egress-warden block tls-wildcard 1"; flow:to_server; tls.sni; pcre:"/\\.(?:evil\\.example\\.com)\\.?$/i";',
    );
    expect(rules[1]).toContain(
      '(msg:"egress-warden block http-wildcard 1"; flow:to_server; http.host; pcre:"/\\.(?:evil\\.example\\.com)\\.?$/";',
    );
  });

  it('never names $HOME_NET or $EXTERNAL_NET, which the rule group does not define', () => {
    fc.assert(
      fc.property(anyBlocks, (desired) => {
        // Act
        const { rules } = renderSuricataRules(desired);

        // Assess
        for (const rule of rules) expect(rule).toMatch(/^drop (ip|tls|http) any any -> \S+ any \(/);
      }),
    );
  });

  it('writes alert rules in shadow mode', () => {
    // Act
    const { rules } = renderSuricataRules(
      [block(network('198.51.100.7/32')), block(domain('evil.example.com'))],
      { action: 'alert' },
    );

    // Assess
    expect(rules.map((rule) => rule.split(' ')[0])).toEqual(['alert', 'alert', 'alert']);
  });

  it('orders rules by kind (addresses, TLS, TLS wildcards, HTTP, HTTP wildcards) and values by address or name', () => {
    // Prepare
    const desired = [
      block(domain('b.example.com'), 9),
      block(network('2001:db8::1/128')),
      block(domain('*.w.example.com')),
      block(domain('a.example.com')),
      block(network('198.51.100.10/32')),
      block(network('198.51.100.9/32')),
    ];

    // Act
    const { rules } = renderSuricataRules(desired);

    // Assess
    expect(rules.map((rule) => /block (\S+ \d+)"/.exec(rule)?.[1])).toEqual([
      'ip 1',
      'tls 1',
      'tls-wildcard 1',
      'http 1',
      'http-wildcard 1',
    ]);
    expect(rules[0]).toContain('[198.51.100.9/32,198.51.100.10/32,2001:db8::1/128]');
    expect(rules[1]).toContain('(?:a\\.example\\.com|b\\.example\\.com)');
  });

  it('writes an indicator blocked twice once', () => {
    // Act
    const { rules, overflow } = renderSuricataRules([
      block(network('198.51.100.7/32'), 3),
      block(network('198.51.100.7/32'), 8),
    ]);

    // Assess
    expect(rules).toEqual([expect.stringContaining('-> [198.51.100.7/32] any')]);
    expect(overflow).toEqual([]);
  });

  it('fits 10,000 domains and 1,000 addresses in one group of capacity 30,000 and 2,000,000 bytes', () => {
    // Prepare
    const desired = [...manyDomains(10_000), ...manyAddresses(1_000)];

    // Act
    const { rules, overflow } = renderSuricataRules(desired);

    // Assess
    expect(overflow).toEqual([]);
    expect(rules.length).toBeLessThanOrEqual(NETWORK_FIREWALL_LIMITS.maxCapacity);
    expect(new TextEncoder().encode(rules.join('\n')).length).toBeLessThanOrEqual(
      NETWORK_FIREWALL_LIMITS.maxRulesBytes,
    );
    for (const rule of rules) expect(rule.length).toBeLessThanOrEqual(NETWORK_FIREWALL_LIMITS.maxRuleLength);
    expect(blockedByRules(rules.join('\n')).domains).toHaveLength(10_000);
    expect(blockedByRules(rules.join('\n')).ips).toHaveLength(1_000);
  });

  it('keeps the whole string within 2,000,000 bytes and reports the lowest priority blocks as overflow', () => {
    // Prepare
    const label = 'x'.repeat(60);
    const desired = Array.from({ length: 8_000 }, (_, index) =>
      block(domain(`${label}.${label}.${label}.n${index}.example`), index % 10),
    );

    // Act
    const { rules, overflow } = renderSuricataRules(desired);

    // Assess
    expect(new TextEncoder().encode(rules.join('\n')).length).toBeLessThanOrEqual(
      NETWORK_FIREWALL_LIMITS.maxRulesBytes,
    );
    expect(blockedByRules(rules.join('\n')).domains.length + overflow.length).toBe(desired.length);
    expect(overflow.length).toBeGreaterThan(0);
    expect(Math.max(...overflow.map((entry) => entry.severity))).toBeLessThanOrEqual(
      Math.min(...desired.filter((entry) => !overflow.includes(entry)).map((entry) => entry.severity)),
    );
  });

  it('keeps every rule within 8,192 characters', () => {
    // Prepare
    const longest = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;

    // Act
    const { rules } = renderSuricataRules([
      ...manyDomains(2_000),
      block(domain(longest)),
      ...manyAddresses(2_000),
    ]);

    // Assess
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) expect(rule.length).toBeLessThanOrEqual(NETWORK_FIREWALL_LIMITS.maxRuleLength);
  });

  it.each([
    ['a quote', 'evil.example.com"; sid:1; (pass'],
    ['a semicolon', 'evil;example.com'],
    ['a space', 'evil example.com'],
    ['a slash', 'evil.example.com/i'],
    ['a pipe', 'evil.example.com|com'],
    ['a parenthesis', 'evil.example.com)|(.'],
    ['uppercase', 'Evil.example.com'],
  ])('refuses a domain with %s, which could inject rule or pattern syntax', (_case, value) => {
    // Act
    const render = () =>
      renderSuricataRules([block({ kind: 'domain', value, wildcard: false, registeredDomain: null })]);

    // Assess
    expect(render).toThrow(InvalidInputError);
  });

  it.each([
    ['rule syntax', '198.51.100.0/24 any -> any any ('],
    ['a list', '198.51.100.0/24,0.0.0.0/0'],
    ['uppercase hex', '2001:DB8::/32'],
  ])('refuses a network that is not a canonical CIDR: %s', (_case, value) => {
    // Act
    const render = () => renderSuricataRules([block({ kind: 'cidr', value, family: 4, prefixLength: 24 })]);

    // Assess
    expect(render).toThrow(InvalidInputError);
  });
});

describe('rule SIDs', () => {
  it('gives a new rule the hash of its kind and ordinal, unique and inside the reserved range', () => {
    fc.assert(
      fc.property(anyBlocks, (desired) => {
        // Act
        const sids = renderSuricataRules(desired).rules.map(sidOf);

        // Assess
        expect(new Set(sids).size).toBe(sids.length);
        for (const sid of sids) {
          expect(sid).toBeGreaterThanOrEqual(EGRESS_WARDEN_SID_RANGE.first);
          expect(sid).toBeLessThanOrEqual(EGRESS_WARDEN_SID_RANGE.last);
        }
      }),
    );
  });

  it('keeps the SID an existing rule carries when a new rule hashes onto it', () => {
    // Prepare
    const taken = expectedSlot('ip 1');
    const existing = renderSuricataRules([block(domain('evil.example.com'))]).rules.map((rule) =>
      rule.includes('block tls 1') ? rule.replace(/sid:\d+;/, `sid:${taken};`) : rule,
    );

    // Act
    const plan = planNetworkFirewall(
      [block(domain('evil.example.com')), block(network('198.51.100.7/32'))],
      snapshot(existing.join('\n')),
    );

    // Assess
    const sids = sidsByIdentity(plan.rules ?? '');
    expect(sids.get('tls 1')).toBe(taken);
    expect(sids.get('http 1')).toBe(expectedSlot('http 1'));
    expect(sids.get('ip 1')).toBe(taken + 1);
  });

  it('keeps the SID of every rule that stays when blocks come and go', () => {
    fc.assert(
      fc.property(anyBlocks, anyBlocks, (kept, changed) => {
        // Prepare
        const before = planNetworkFirewall([...changed, ...kept], snapshot('')).rules ?? '';

        // Act
        const after =
          planNetworkFirewall([...kept, ...changed.slice(1, 3)], snapshot(before)).rules ?? before;

        // Assess
        const old = sidsByIdentity(before);
        for (const [identity, sid] of sidsByIdentity(after)) {
          if (old.has(identity)) expect(sid).toBe(old.get(identity));
        }
      }),
    );
  });

  it('gives the next free SID to a new rule whose hash a foreign rule holds', () => {
    // Prepare
    const slot = expectedSlot('ip 1');
    const foreign = `pass ip any any -> any any (msg:"other"; sid:${slot}; rev:1;)`;

    // Act
    const plan = planNetworkFirewall([block(network('198.51.100.7/32'))], snapshot(foreign));

    // Assess
    expect(plan.rules?.split('\n').map(sidOf)).toEqual([slot, slot + 1]);
  });

  it('moves our rule off a SID that a foreign rule has taken since', () => {
    // Prepare
    const ours = renderSuricataRules([block(network('198.51.100.7/32'))]).rules;
    const foreign = `pass ip any any -> any any (msg:"other"; sid:${sidOf(ours[0] ?? '')}; rev:1;)`;

    // Act
    const plan = planNetworkFirewall(
      [block(network('198.51.100.7/32'))],
      snapshot([foreign, ...ours].join('\n')),
    );

    // Assess
    const sids = plan.rules?.split('\n').map(sidOf) ?? [];
    expect(new Set(sids).size).toBe(2);
  });
});

describe('planNetworkFirewall', () => {
  it('keeps foreign rules, comments and blank lines in order at the top and puts ours after them', () => {
    // Prepare
    const old = renderSuricataRules([block(network('203.0.113.1/32'))]).rules;
    const actual = snapshot([FOREIGN[0], ...old, ...FOREIGN.slice(1)].join('\n'));
    const desired = [block(network('198.51.100.7/32'))];

    // Act
    const plan = planNetworkFirewall(desired, actual);

    // Assess
    expect(plan.rules).toBe([...FOREIGN, ...renderSuricataRules(desired).rules].join('\n'));
    expect(plan.ruleCount).toBe(4);
  });

  it('replaces our rules of the one-rule-per-indicator shape with grouped ones', () => {
    // Prepare
    const legacy = [
      `drop ip $HOME_NET any -> 198.51.100.7/32 any (msg:"egress-warden block 198.51.100.7/32"; sid:${EGRESS_WARDEN_SID_RANGE.first + 7}; rev:1;)`,
      `drop tls $HOME_NET any -> $EXTERNAL_NET any (tls.sni; dotprefix; content:".evil.example.com"; nocase; endswith; msg:"egress-warden block evil.example.com"; flow:to_server, established; sid:${EGRESS_WARDEN_SID_RANGE.first + 8}; rev:1;)`,
    ].join('\n');
    const desired = [block(network('198.51.100.7/32')), block(domain('evil.example.com'))];

    // Act
    const plan = planNetworkFirewall(desired, snapshot(legacy));

    // Assess
    expect(blockedByRules(legacy)).toEqual({ ips: ['198.51.100.7/32'], domains: ['evil.example.com'] });
    expect(plan.rules).toBe(renderSuricataRules(desired).rules.join('\n'));
  });

  it('gives the last room to an address before a domain of equal rank, which DNS Firewall blocks anyway', () => {
    // Prepare
    const desired = [block(domain('evil.example.org')), block(network('198.51.100.7/32'))];

    // Act
    const plan = planNetworkFirewall(desired, snapshot('', 2));

    // Assess
    expect(plan.overflow).toEqual([desired[0]]);
    expect(plan.rules).toContain('198.51.100.7/32');
  });

  it('treats a rule as ours only with both our message and a SID in our range', () => {
    // Act
    const parsed = parseOwnRules(FOREIGN.join('\n'));

    // Assess
    expect(parsed.own).toEqual([]);
    expect(parsed.foreign).toEqual(FOREIGN);
    expect(parsed.foreignRuleCount).toBe(3);
  });

  it('counts a rule continued over several lines once and never takes it for ours', () => {
    // Prepare
    const [ours] = renderSuricataRules([block(network('198.51.100.7/32'))]).rules;
    const text = [
      'pass ip any any -> any any \\',
      `  (msg:"egress-warden block x"; \\`,
      `  sid:${EGRESS_WARDEN_SID_RANGE.first}; rev:1;)`,
      ours,
    ].join('\n');

    // Act
    const parsed = parseOwnRules(text);

    // Assess
    expect(parsed.foreignRuleCount).toBe(1);
    expect(parsed.foreign).toHaveLength(3);
    expect(parsed.own).toEqual([ours]);
  });

  it('ends a foreign rule left open by a trailing backslash before it appends ours', () => {
    // Prepare
    const open = 'pass ip any any -> any any \\';
    const desired = [block(network('198.51.100.7/32'))];

    // Act
    const plan = planNetworkFirewall(desired, snapshot(open));

    // Assess
    expect(plan.rules).toBe([open, '', ...renderSuricataRules(desired).rules].join('\n'));
    expect(parseOwnRules(plan.rules ?? '').own).toHaveLength(1);
  });

  it('returns null when the group already holds exactly the planned rules', () => {
    // Prepare
    const desired = [block(network('198.51.100.7/32')), block(domain('evil.example.com'))];
    const first = planNetworkFirewall(desired, snapshot(FOREIGN.join('\n')));

    // Act
    const second = planNetworkFirewall([...desired].reverse(), snapshot(first.rules ?? ''));

    // Assess
    expect(first.rules).not.toBeNull();
    expect(second).toEqual({ rules: null, ruleCount: 6, overflow: [] });
  });

  it('rewrites our rules when the action changes to shadow mode, keeping their SIDs', () => {
    // Prepare
    const desired = [block(network('198.51.100.7/32'))];
    const enforced = planNetworkFirewall(desired, snapshot('')).rules ?? '';

    // Act
    const plan = planNetworkFirewall(desired, snapshot(enforced), { action: 'alert' });

    // Assess
    expect(plan.rules).toBe(enforced.replace(/^drop /, 'alert '));
  });

  it('removes all our rules when nothing is desired, keeping the foreign ones', () => {
    // Prepare
    const ours = renderSuricataRules([block(domain('evil.example.com'))]).rules;

    // Act
    const plan = planNetworkFirewall([], snapshot([...FOREIGN, ...ours].join('\n')));

    // Assess
    expect(plan.rules).toBe(FOREIGN.join('\n'));
    expect(blockedByRules(plan.rules ?? '')).toEqual({ ips: [], domains: [] });
  });

  it('fits foreign and our rules in the capacity, the names sharing their two rules', () => {
    // Prepare
    const top = block(domain('top.example.com'), 9);
    const second = block(domain('second.example.com'), 7);
    const wildcard = block(domain('*.wild.example.com'), 6);
    const small = block(network('198.51.100.7/32'), 3);

    // Act
    const plan = planNetworkFirewall([small, wildcard, second, top], snapshot(FOREIGN.join('\n'), 6));

    // Assess
    expect(plan.ruleCount).toBe(6);
    expect(plan.overflow).toEqual([wildcard]);
    expect(blockedByRules(plan.rules ?? '')).toEqual({
      ips: ['198.51.100.7/32'],
      domains: ['second.example.com', 'top.example.com'],
    });
  });

  it('reports overflow best first when the size is short', () => {
    // Prepare
    const desired = [
      block(network('198.51.100.1/32'), 2, '2026-11-02T00:00:00.000Z'),
      block(network('198.51.100.2/32'), 5, '2026-11-01T00:00:00.000Z'),
      block(network('198.51.100.3/32'), 5, '2026-11-03T00:00:00.000Z'),
      block(network('198.51.100.4/32'), 8, '2026-11-01T00:00:00.000Z'),
    ];
    const [one = ''] = renderSuricataRules(desired.slice(3)).rules;
    // Room for that one rule as the planner bounds it: a five-digit ordinal, and a newline after each line.
    const bulky = `# ${'x'.repeat(NETWORK_FIREWALL_LIMITS.maxRulesBytes - one.length - 8)}`;

    // Act
    const plan = planNetworkFirewall(desired, snapshot(bulky));

    // Assess
    expect(plan.overflow.map((entry) => entry.indicator.value)).toEqual([
      '198.51.100.3/32',
      '198.51.100.2/32',
      '198.51.100.1/32',
    ]);
  });

  it('overflows everything when foreign rules already fill the capacity', () => {
    // Prepare
    const desired = [block(network('198.51.100.7/32'))];

    // Act
    const plan = planNetworkFirewall(desired, snapshot(FOREIGN.join('\n'), 2));

    // Assess
    expect(plan).toEqual({ rules: null, ruleCount: 3, overflow: desired });
  });

  it('leaves the size limit to foreign rules that already use it', () => {
    // Prepare
    const bulky = `# ${'x'.repeat(NETWORK_FIREWALL_LIMITS.maxRulesBytes - 100)}`;
    const desired = [block(network('198.51.100.7/32'))];

    // Act
    const plan = planNetworkFirewall(desired, snapshot(bulky));

    // Assess
    expect(plan.overflow).toEqual(desired);
  });

  it('drops trailing blank lines once and is then stable', () => {
    // Prepare
    const desired = [block(network('198.51.100.7/32'))];
    const first = planNetworkFirewall(desired, snapshot(`${FOREIGN[1]}\n\n`));

    // Act
    const second = planNetworkFirewall(desired, snapshot(first.rules ?? ''));

    // Assess
    expect(first.rules?.split('\n')).toHaveLength(2);
    expect(second.rules).toBeNull();
  });
});

describe('blockedByRules', () => {
  it('lists what our drop rules block and ignores alert and foreign rules', () => {
    // Prepare
    const dropping = renderSuricataRules([
      block(network('2001:db8::/32')),
      block(network('198.51.100.7/32')),
      block(domain('*.evil.example.com')),
      block(domain('bad-host_1.example.net')),
    ]).rules;
    const alerting = renderSuricataRules([block(domain('watch.example.com'))], { action: 'alert' }).rules;

    // Act
    const blocked = blockedByRules([...FOREIGN, ...dropping, ...alerting].join('\n'));

    // Assess
    expect(blocked).toEqual({
      ips: ['198.51.100.7/32', '2001:db8::/32'],
      domains: ['*.evil.example.com', 'bad-host_1.example.net'],
    });
  });
});

describe('blockedByRules on hand-written rules', () => {
  it('reads escapes in a pattern as the characters escaped, and a trailing backslash as itself', () => {
    // Prepare
    const rules = [
      'drop tls any any -> any any (msg:"egress-warden block tls 1"; flow:to_server; tls.sni; pcre:"/(?:^|\\.)(?:a\\.example|b\\-c\\.example|d\\\\e|f\\)\\.?$/i"; sid:1900000001; rev:1;)',
      'drop ip any any -> [198.51.100.7/32,not-an-address,10.0.0.0/8] any (msg:"egress-warden block ip 1"; sid:1900000002; rev:1;)',
    ].join('\n');

    // Act
    const blocked = blockedByRules(rules);

    // Assess
    expect(blocked).toEqual({
      ips: ['198.51.100.7/32', 'not-an-address', '10.0.0.0/8'].sort(compareEachPairParsed),
      domains: ['a.example', 'b-c.example', 'd\\e', 'f\\'],
    });
  });
});

/** Addresses by range, as text when either does not parse: each pair parsed at every comparison. */
function compareEachPairParsed(a: string, b: string): number {
  try {
    return compareRanges(toRange(a), toRange(b));
  } catch {
    return a < b ? -1 : a > b ? 1 : 0;
  }
}

/** What two groups' rules block differently, as the whole of both sorted lists compared. */
function changedWhole(before: string, after: string): { added: string[]; removed: string[] } {
  const was = blockedByRules(before);
  const now = blockedByRules(after);
  const wasSet = new Set([...was.ips, ...was.domains]);
  const nowSet = new Set([...now.ips, ...now.domains]);
  return {
    added: [...nowSet].filter((value) => !wasSet.has(value)),
    removed: [...wasSet].filter((value) => !nowSet.has(value)),
  };
}

describe('changedBlocks', () => {
  it('lists what one group blocks and the other does not, addresses first, as the whole lists compared', () => {
    fc.assert(
      fc.property(
        anyBlocks,
        anyBlocks,
        fc.constantFrom(...FOREIGN, ''),
        fc.constantFrom<'drop' | 'alert'>('drop', 'alert'),
        (first, second, foreign, action) => {
          // Prepare
          const before = [foreign, ...renderSuricataRules(first).rules].join('\n');
          const after = [
            foreign,
            ...renderSuricataRules([...first.slice(1), ...second], { action }).rules,
          ].join('\n');

          // Act
          const changed = changedBlocks(blockedSetsByRules(before), blockedSetsByRules(after));

          // Assess
          expect(changed).toEqual(changedWhole(before, after));
        },
      ),
    );
  });

  it('orders an address that does not parse as the whole sorted list does', () => {
    // Prepare
    const ipRule = (list: string, sid: number) =>
      `drop ip any any -> [${list}] any (msg:"egress-warden block ip 1"; sid:${sid}; rev:1;)`;
    const before = ipRule('198.51.100.7/32', 1_900_000_001);
    const after = ipRule('203.0.113.9/32,zz,198.51.100.7/32,10.0.0.0/8,aa', 1_900_000_001);

    // Act
    const changed = changedBlocks(blockedSetsByRules(before), blockedSetsByRules(after));

    // Assess
    expect(changed).toEqual(changedWhole(before, after));
    expect(changed.removed).toEqual([]);
  });
});

describe('planNetworkFirewall properties', () => {
  const foreignText = fc
    .array(
      fc.constantFrom(...FOREIGN, 'pass ip any any -> any any \\', '  (msg:"continued"; sid:7; rev:1;)'),
      {
        maxLength: 6,
      },
    )
    .map((lines) => lines.join('\n'));
  const capacity = fc.integer({ min: 0, max: 40 });

  it('converges in one pass: taking the rules and planning again gives null', () => {
    fc.assert(
      fc.property(
        anyBlocks,
        foreignText,
        capacity,
        fc.constantFrom<'drop' | 'alert'>('drop', 'alert'),
        (desired, foreign, size, action) => {
          // Prepare
          const plan = planNetworkFirewall(desired, snapshot(foreign, size), { action });

          // Act
          const again = planNetworkFirewall(desired, snapshot(plan.rules ?? foreign, size), { action });

          // Assess
          expect(again.rules).toBeNull();
          expect(again.overflow).toEqual(plan.overflow);
        },
      ),
    );
  });

  it('keeps the foreign lines and stays within capacity, placing or reporting every block', () => {
    fc.assert(
      fc.property(anyBlocks, foreignText, capacity, (desired, foreign, size) => {
        // Act
        const plan = planNetworkFirewall(desired, snapshot(foreign, size));
        const text = plan.rules ?? foreign;
        const parsed = parseOwnRules(text);
        const blocked = blockedByRules(text);

        // Assess
        const foreignRules = parseOwnRules(foreign).foreignRuleCount;
        expect(parsed.foreignRuleCount).toBe(foreignRules);
        expect(plan.ruleCount).toBe(foreignRules + parsed.own.length);
        if (foreignRules <= size) expect(plan.ruleCount).toBeLessThanOrEqual(size);
        else expect(parsed.own).toEqual([]);
        for (const entry of desired) {
          const list = entry.indicator.kind === 'domain' ? blocked.domains : blocked.ips;
          expect(list.includes(entry.indicator.value)).not.toBe(plan.overflow.includes(entry));
        }
      }),
    );
  });

  it('blocks, in the rules it writes, what blockedSetsOfPlan works out from its input', () => {
    fc.assert(
      fc.property(
        anyBlocks,
        foreignText,
        capacity,
        fc.constantFrom<'drop' | 'alert'>('drop', 'alert'),
        (desired, foreign, size, action) => {
          // Act
          const plan = planNetworkFirewall(desired, snapshot(foreign, size), { action });

          // Assess
          fc.pre(plan.rules !== null);
          expect(blockedSetsOfPlan(desired, plan, { action })).toEqual(blockedSetsByRules(plan.rules ?? ''));
        },
      ),
    );
  });

  it('returns byte-identical rules whatever the order of its input', () => {
    fc.assert(
      fc.property(anyBlocks, foreignText, capacity, (desired, foreign, size) => {
        // Act
        const forward = planNetworkFirewall(desired, snapshot(foreign, size));
        const backward = planNetworkFirewall([...desired].reverse(), snapshot(foreign, size));

        // Assess
        expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
      }),
    );
  });
});
