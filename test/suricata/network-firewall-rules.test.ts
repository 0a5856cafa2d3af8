/**
 * The rules the Network Firewall planner writes, run through the real Suricata 7 engine (the one AWS Network
 * Firewall runs): loaded with `suricata -T`, and replayed against generated traffic with `suricata -r`. Each
 * batch of cases is one engine run. Skipped, with a warning, where Suricata 7 is not installed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatRange } from '#domain/cidr';
import { renderSuricataRules } from '#domain/reconcile/network-firewall-plan';
import { block, domain, network } from '../domain/reconcile/blocks';
import { httpGet, type TcpFlow, tlsClientHello, writePcap } from '../support/pcap';
import { runSuricata, type SuricataRun, suricataVersion, TEST_HOME_NET } from '../support/suricata';

const version = suricataVersion();
if (version === null) {
  console.warn(
    'SKIPPED: Suricata 7 is not installed, so the Network Firewall rules are not checked on the real engine. ' +
      'Install it (Debian 12: `apt-get install -t bookworm-backports suricata`; Debian 13: ' +
      '`apt-get install suricata`) and run `npx vitest run test/suricata`.',
  );
}
const missing = version === null;

/** Names that fill the group's patterns, so the blocked names are matched inside a large alternation. */
const FILLER = Array.from({ length: 400 }, (_, index) => block(domain(`filler-${index}.example.net`)));

const BLOCKS = [
  block(domain('evil.example.org')),
  block(domain('*.wild.example.org')),
  block(network('198.51.100.7/32')),
  block(network('2001:db8:dead::/48')),
  ...FILLER,
];

const CLIENT_V4 = '203.0.113.5';
const CLIENT_V6 = '2001:db8:1::5';
const SERVER_V4 = '203.0.113.80';
const SERVER_V6 = '2001:db8:2::80';
const deepName = `${Array.from({ length: 60 }, () => 'a').join('.')}.evil.example.org`;

interface Case {
  readonly label: string;
  readonly blocked: boolean;
  readonly flow: Omit<TcpFlow, 'clientPort'>;
}

const tls = (sni: string, blocked: boolean, v6 = false): Case => ({
  label: `TLS SNI ${sni.length > 40 ? `${sni.slice(0, 12)}…(${sni.length} chars)` : sni}${v6 ? ' over IPv6' : ''}`,
  blocked,
  flow: {
    client: v6 ? CLIENT_V6 : CLIENT_V4,
    server: v6 ? SERVER_V6 : SERVER_V4,
    serverPort: 443,
    payload: tlsClientHello(sni),
  },
});

const http = (host: string, blocked: boolean, v6 = false): Case => ({
  label: `HTTP Host ${host}${v6 ? ' over IPv6' : ''}`,
  blocked,
  flow: {
    client: v6 ? CLIENT_V6 : CLIENT_V4,
    server: v6 ? SERVER_V6 : SERVER_V4,
    serverPort: 80,
    payload: httpGet(host),
  },
});

const connect = (client: string, server: string, blocked: boolean): Case => ({
  label: `a connection from ${client} to ${server}`,
  blocked,
  flow: { client, server, serverPort: 443, payload: new Uint8Array() },
});

const CASES: readonly Case[] = [
  tls('evil.example.org', true),
  tls('EVIL.example.org', true),
  tls('evil.example.org.', true),
  tls('a.evil.example.org.', true),
  tls('A.Evil.Example.Org', true),
  tls(deepName, true),
  tls('evil.example.org', true, true),
  tls('notevil.example.org', false),
  tls('evil.example.org.attacker.net', false),
  tls('evil.example.orgx', false),
  tls('example.org', false),
  tls('x.wild.example.org', true),
  tls('x.wild.example.org.', true),
  tls('wild.example.org', false),
  tls('wild.example.org.', false),
  tls('filler-399.example.net', true),
  http('evil.example.org', true),
  http('EVIL.example.org', true),
  http('evil.example.org.', true),
  http('evil.example.org.:8080', true),
  http('a.evil.example.org', true, true),
  http('notevil.example.org', false),
  http('evil.example.org.attacker.net', false),
  http('evil.example.orgx', false),
  http('x.wild.example.org', true),
  http('wild.example.org', false),
  connect(CLIENT_V4, '198.51.100.7', true),
  connect(CLIENT_V6, '2001:db8:dead::1', true),
  connect('192.0.2.10', '198.51.100.7', true),
  connect(CLIENT_V4, '198.51.100.8', false),
  connect(CLIENT_V6, '2001:db8:beef::1', false),
];

/** Each case gets its own client port, so an alert names the case it belongs to. */
const FIRST_PORT = 40_000;

describe.skipIf(missing)(`Network Firewall rules on the real engine (${version ?? 'missing'})`, () => {
  describe(`replayed with HOME_NET ${TEST_HOME_NET}, which no case uses`, () => {
    let run: SuricataRun;
    let matched: Set<number>;

    beforeAll(() => {
      // Prepare
      const { rules } = renderSuricataRules(BLOCKS, { action: 'alert' });
      const flows = CASES.map((entry, index) => ({ ...entry.flow, clientPort: FIRST_PORT + index }));

      // Act
      run = runSuricata(rules.join('\n'), writePcap(flows));
      matched = new Set(run.alerts.map((alert) => alert.srcPort));
    });

    it('replays the traffic without an error', () => {
      // Assess
      expect(run.status, run.output).toBe(0);
      expect(run.alerts.length).toBeGreaterThan(0);
    });

    it.each(CASES.map((entry, index) => [entry.label, entry.blocked, index] as const))(
      '%s: blocked %s',
      (_label, blocked, index) => {
        // Assess
        expect(matched.has(FIRST_PORT + index)).toBe(blocked);
      },
    );

    it('raises alerts only from our rules, named by their kind', () => {
      // Assess
      for (const alert of run.alerts) {
        expect(alert.signature).toMatch(/^egress-warden block (ip|tls|tls-wildcard|http|http-wildcard) \d+$/);
      }
    });
  });

  it('loads the drop rules of every kind', () => {
    // Prepare
    const { rules } = renderSuricataRules(BLOCKS);

    // Act
    const run = runSuricata(rules.join('\n'));

    // Assess
    expect(run.status, run.output).toBe(0);
    expect(run.output).not.toMatch(/\bE: /);
  });

  it('loads a full group: 10,000 domains and 1,000 addresses', () => {
    // Prepare
    const domains = Array.from({ length: 10_000 }, (_, index) =>
      block(domain(`feed-${index.toString(36).padStart(5, '0')}.bench-egress.example`)),
    );
    const addresses = Array.from({ length: 1_000 }, (_, index) =>
      block(
        network(
          index % 2 === 0
            ? formatRange({ family: 4, network: 0xc6120000n + BigInt(index), prefixLength: 32 })
            : formatRange({ family: 6, network: (0x20010db8n << 96n) + BigInt(index), prefixLength: 128 }),
        ),
      ),
    );
    const { rules, overflow } = renderSuricataRules([...domains, ...addresses]);

    // Act
    const run = runSuricata(rules.join('\n'));

    // Assess
    expect(overflow).toEqual([]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).not.toMatch(/\bE: /);
  }, 60_000);
});
