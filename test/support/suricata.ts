/**
 * Runs the real Suricata engine (the one AWS Network Firewall runs) on rules written by the tests: `-T` to
 * load them, `-r` to replay a pcap through them. HOME_NET is a documentation range that no test flow uses,
 * so a rule that silently depends on `$HOME_NET` or `$EXTERNAL_NET` matches nothing and the test fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The HOME_NET of the test configuration: no client or server in the tests is in it. */
export const TEST_HOME_NET = '[192.0.2.0/24]';

/** The Suricata version line, or null when `suricata` is not on the PATH or is not version 7. */
export function suricataVersion(): string | null {
  try {
    const version = execFileSync('suricata', ['-V'], { encoding: 'utf8', timeout: 10_000 }).trim();
    return /version 7\./.test(version) ? version : null;
  } catch {
    return null;
  }
}

/** One alert of eve.json, reduced to what the tests look at. */
export interface SuricataAlert {
  readonly srcIp: string;
  readonly srcPort: number;
  readonly destIp: string;
  readonly destPort: number;
  readonly sid: number;
  readonly signature: string;
}

/** The outcome of one run: the exit status, everything the engine printed, and the alerts it raised. */
export interface SuricataRun {
  readonly status: number | null;
  readonly output: string;
  readonly alerts: SuricataAlert[];
}

const CONFIG = `%YAML 1.1
---
vars:
  address-groups:
    HOME_NET: "${TEST_HOME_NET}"
    EXTERNAL_NET: "!$HOME_NET"
  port-groups:
    HTTP_PORTS: "80"
    SHELLCODE_PORTS: "!80"
    SSH_PORTS: "22"
outputs:
  - fast:
      enabled: yes
      filename: fast.log
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - alert
app-layer:
  protocols:
    tls:
      enabled: yes
      detection-ports:
        dp: 443
    http:
      enabled: yes
logging:
  default-log-level: warning
  outputs:
    - console:
        enabled: yes
stream:
  midstream: false
`;

/**
 * Writes `rules` and the minimal configuration to a temporary directory and runs Suricata on them: with a
 * `pcap`, replays it (`-r … -k none`) and returns the alerts; without, only loads the rules (`-T`). The
 * directory is removed afterwards.
 */
export function runSuricata(rules: string, pcap?: Uint8Array): SuricataRun {
  const dir = mkdtempSync(join(tmpdir(), 'suricata-'));
  try {
    const rulesFile = join(dir, 'test.rules');
    const configFile = join(dir, 'suricata.yaml');
    writeFileSync(rulesFile, rules);
    writeFileSync(configFile, CONFIG);
    const args = ['-c', configFile, '-S', rulesFile, '-l', dir, '--runmode', 'single'];
    if (pcap === undefined) {
      args.push('-T');
    } else {
      const pcapFile = join(dir, 'traffic.pcap');
      writeFileSync(pcapFile, pcap);
      args.push('-r', pcapFile, '-k', 'none');
    }
    const result = spawnSync('suricata', args, { encoding: 'utf8', timeout: 120_000 });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    return { status: result.status, output, alerts: pcap === undefined ? [] : readAlerts(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readAlerts(dir: string): SuricataAlert[] {
  let text: string;
  try {
    text = readFileSync(join(dir, 'eve.json'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((event) => event.event_type === 'alert')
    .map((event) => {
      const alert = event.alert as { signature_id: number; signature: string };
      return {
        srcIp: String(event.src_ip),
        srcPort: Number(event.src_port),
        destIp: String(event.dest_ip),
        destPort: Number(event.dest_port),
        sid: alert.signature_id,
        signature: alert.signature,
      };
    });
}
