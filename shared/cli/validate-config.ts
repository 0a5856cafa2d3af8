/**
 * Validates a configuration file and lists every error, not only the first: the parser stops at the first
 * problem, so each field it names is taken out and the rest parsed again.
 */
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '#domain/errors';
import { configJson, listedCidrs, parseConfig, policyOf, type WardenConfig } from '#shared/config/config';

/** The most errors one file reports. */
const MAX_ERRORS = 50;

/** A short description of a valid configuration. */
export interface ConfigSummary {
  readonly stackName: string;
  readonly region?: string;
  readonly vpcs: readonly { vpcId: string; cidrs: number | 'from EC2'; networkAcls: number | 'all' }[];
  readonly targets: Readonly<Record<string, { deployed: boolean; mode: string }>>;
  readonly allowlist: { domains: number; cidrs: number };
  readonly protected: { domains: number; cidrs: number };
  readonly detectors: boolean;
  readonly alertSubscriptions: number;
  readonly operators: number;
}

/** The result of validating one file. */
export type ConfigReport =
  | { readonly valid: true; readonly summary: ConfigSummary }
  | { readonly valid: false; readonly errors: readonly string[] };

/** Reads and validates `path`; every error names the field (`vpcs[0].vpcId: must look like …`). */
export async function validateConfigFile(path: string): Promise<ConfigReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { valid: false, errors: [`cannot be read: ${(error as Error).message}`] };
  }
  let json: unknown;
  try {
    json = configJson(text);
  } catch (error) {
    return { valid: false, errors: [`is not valid JSON: ${(error as Error).message}`] };
  }
  return validateConfig(json);
}

/**
 * Validates a parsed configuration. When it is invalid, each top-level section is checked on its own (with
 * valid stand-in VPCs when `vpcs` itself is wrong), and within a section each field named is taken out and the
 * rest parsed again, so one run lists the errors of every section. At most MAX_ERRORS. Pure.
 */
function validateConfig(input: unknown): ConfigReport {
  try {
    return { valid: true, summary: summaryOf(parseConfig(input)) };
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { valid: false, errors: [error.message] };
    }
  }
  const sections = input as Record<string, unknown>;
  const vpcErrors = errorsOf({ vpcs: sections.vpcs });
  const vpcs = vpcErrors.length === 0 ? sections.vpcs : [{ vpcId: 'vpc-00000000' }];
  const errors = [...vpcErrors];
  for (const [key, value] of Object.entries(sections)) {
    if (key !== 'vpcs') errors.push(...errorsOf({ vpcs, [key]: value }));
  }
  return { valid: false, errors: [...new Set(errors)].slice(0, MAX_ERRORS) };
}

/** The errors of one document: each field named is taken out and the rest parsed again. */
function errorsOf(document: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const named = new Set<string>();
  let remaining: unknown = document;
  while (errors.length < MAX_ERRORS) {
    try {
      parseConfig(remaining);
      return errors;
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      // A field named again is required: taking it out cannot help, and its first error says it all.
      if (named.has(error.field)) return errors;
      errors.push(error.message);
      named.add(error.field);
      const without = error.field ? withoutField(remaining, error.field) : undefined;
      if (without === undefined) return errors;
      remaining = without;
    }
  }
  return errors;
}

/**
 * `input` without the value at `field` (`a.b[2].c`), or undefined when there is none to take out. An array
 * element is replaced by the first one (valid, since errors come in order), so later positions stay as the
 * file has them.
 */
function withoutField(input: unknown, field: string): unknown {
  const path = [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] === undefined ? m[1] : Number(m[2]),
  );
  const copy = structuredClone(input);
  let parent: unknown = copy;
  for (const step of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return undefined;
    parent = (parent as Record<string | number, unknown>)[step as string | number];
  }
  const last = path.at(-1);
  if (typeof parent !== 'object' || parent === null || last === undefined) return undefined;
  if (Array.isArray(parent) && typeof last === 'number') {
    if (last >= parent.length) return undefined;
    if (last > 0) parent[last] = structuredClone(parent[0]);
    else parent.splice(0, 1);
    return copy;
  }
  if (!Object.hasOwn(parent, last)) return undefined;
  delete (parent as Record<string, unknown>)[last as string];
  return copy;
}

function summaryOf(config: WardenConfig): ConfigSummary {
  const policy = policyOf(config, { vpcCidrs: listedCidrs(config) });
  const targets: Record<string, { deployed: boolean; mode: string }> = {};
  for (const name of ['dnsFirewall', 'networkAcls', 'networkFirewall'] as const) {
    targets[name] = { deployed: config.targets[name].deploy, mode: policy.targets[name].mode };
  }
  return {
    stackName: config.stackName,
    ...(config.env ? { region: config.env.region } : {}),
    vpcs: config.vpcs.map((vpc) => ({
      vpcId: vpc.vpcId,
      cidrs: vpc.cidrs ? vpc.cidrs.length : 'from EC2',
      networkAcls: vpc.networkAcls ? vpc.networkAcls.length : 'all',
    })),
    targets,
    allowlist: { domains: policy.allowlist.domains.length, cidrs: policy.allowlist.cidrs.length },
    protected: {
      domains: policy.guardRails.protectedDomains.length,
      cidrs: policy.guardRails.protectedCidrs.length,
    },
    detectors: config.detectors.deploy,
    alertSubscriptions: config.alerts.emails.length + config.alerts.subscriptions.length,
    operators: config.operators.length,
  };
}

/** The summary as lines for a person. */
export function summaryLines(summary: ConfigSummary): string[] {
  return [
    `  stack ${summary.stackName}${summary.region ? ` in ${summary.region}` : ''}`,
    ...summary.vpcs.map(
      (vpc) =>
        `  VPC ${vpc.vpcId}: CIDRs ${vpc.cidrs === 'from EC2' ? 'read from EC2' : `${vpc.cidrs} listed`}, network ACLs ${vpc.networkAcls === 'all' ? 'all' : `${vpc.networkAcls} listed`}`,
    ),
    ...Object.entries(summary.targets).map(
      ([name, t]) => `  ${name}: ${t.deployed ? `deployed, mode ${t.mode}` : 'not deployed'}`,
    ),
    `  allowlist: ${summary.allowlist.domains} domains, ${summary.allowlist.cidrs} CIDRs; protected: ${summary.protected.domains} domains, ${summary.protected.cidrs} CIDRs`,
    `  log detectors: ${summary.detectors ? 'deployed' : 'not deployed'}; alert subscriptions: ${summary.alertSubscriptions}; operators: ${summary.operators}`,
  ];
}
