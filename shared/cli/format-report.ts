/** The simulation's readable report. */
import type { SimulationResult } from '#shared/simulation/simulate';

/** Formats a simulation result for a terminal. */
export function formatReport(result: SimulationResult, header: string): string {
  const out: string[] = [header, ''];
  if (result.logs.length > 0) {
    out.push(`Logs (${result.logs.length})`);
    for (const log of result.logs) {
      const malformed = log.malformed.count > 0 ? `, ${log.malformed.count} malformed` : '';
      out.push(`  ${log.input}: ${log.kind}, ${log.records} records${malformed}, ${log.signals} signals`);
    }
    out.push('');
  }
  out.push(`Decisions (${result.decisions.length})`);
  for (const d of result.decisions) {
    const label = (d.skipReason ? `${d.outcome}:${d.skipReason}` : d.outcome).toUpperCase();
    const until =
      d.outcome === 'blocked' || d.outcome === 'extended' ? `  until ${d.expiresAt ?? 'revoked'}` : '';
    const targets = d.targets.length > 0 ? `  [${d.targets.join(', ')}]` : '';
    out.push(`  ${label.padEnd(28)} ${d.indicator}  (${d.source})${until}${targets}`);
    out.push(`  ${''.padEnd(28)} ${d.reason}`);
  }
  for (const r of result.breakerResets) {
    const what =
      r.outcome === 'closed'
        ? `closed the breaker (open since ${r.openedAt ?? 'unknown'})`
        : 'breaker was already closed';
    out.push(
      `  ${'BREAKER RESET'.padEnd(28)} ${what}`,
      `  ${''.padEnd(28)} by ${r.requestedBy}: ${r.reason}`,
    );
  }
  for (const p of result.pauses) {
    out.push(
      `  ${p.outcome.toUpperCase().padEnd(28)} ${p.outcome === 'paused' ? 'every target runs as in alert mode' : p.outcome === 'resumed' ? 'targets back to their modes' : 'nothing changed'}`,
      `  ${''.padEnd(28)} by ${p.requestedBy}: ${p.reason}`,
    );
  }
  out.push('', `Rejected (${result.rejected.length})`);
  for (const r of result.rejected) out.push(`  ${r.input}`, `    ${r.error}`);

  const { dnsFirewall, networkAcls, networkFirewall } = result.targets;
  out.push('', 'Targets');
  out.push(`  DNS Firewall domain list: ${dnsFirewall.domains.length} entries`);
  for (const domain of dnsFirewall.domains) out.push(`    ${domain}`);
  for (const [aclId, entries] of Object.entries(networkAcls)) {
    out.push(`  Network ACL ${aclId}: egress entries`);
    for (const e of entries)
      out.push(`    ${String(e.ruleNumber).padStart(5)}  ${e.action.padEnd(5)}  ${e.cidr}`);
  }
  out.push(
    `  Network Firewall rule group: ${networkFirewall.ips.length} IPs, ${networkFirewall.domains.length} domains blocked`,
  );
  for (const line of networkFirewall.rules.split('\n').filter(Boolean)) out.push(`    ${line}`);

  out.push('', `Alerts (${result.alerts.length})`);
  for (const alert of result.alerts) {
    out.push(`  ${alert.subject}`);
    for (const line of alert.message.split('\n')) out.push(`    ${line}`);
  }
  return out.join('\n');
}
