/**
 * `npm run bench`: runs every benchmark, prints the tables and writes the figures to bench/results.json for
 * the README. The workloads that time Egress Warden's own code (Benches 1, 3 and 6) run from a bundle built
 * with the functions' esbuild options (`bundled.ts`), as Lambda and the CLI run it. Options: `--runs N`
 * (Bench 1 repetitions, default 5), `--ips N` (IP blocks among Bench 1's 10,000 active decisions, default
 * 3,000), `--quick` (Bench 5's large flow-log file 3× the small one, not 10×; Bench 6 stops at 10,000 active
 * decisions and runs each point once), `--scale-only` (Bench 6 alone, printed only), `--functions-only` (Bench 4
 * alone, printed only), `--node PATH` (the Node binary Bench 4's cold imports run on, by default this one).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, platform, release } from 'node:os';
import { parseArgs, promisify } from 'node:util';
import { BENCH_MAX_NEW_BLOCKS_PER_HOUR } from './fixtures';

// The pinned SDK clients support Node 20; their notice about future versions is noise here. The modules
// that load the SDK are imported only after this is set.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { benchAwsCalls } = await import('./aws-calls');
const { formatMiB, formatNumber, formatTable, round } = await import('./measure');
const { loadBundledWorkloads } = await import('./bundled');
const { benchScale } = await import('./scale');
const { benchFunctions } = await import('./functions');
const { benchDetectors } = await import('./detectors');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    ips: { type: 'string', default: '3000' },
    quick: { type: 'boolean', default: false },
    'scale-only': { type: 'boolean', default: false },
    'functions-only': { type: 'boolean', default: false },
    node: { type: 'string', default: process.execPath },
  },
});
const runs = Number(values.runs);
const activeIps = Number(values.ips);
const quick = values.quick === true;
if (!Number.isInteger(runs) || runs < 1) {
  throw new Error(`--runs must be a positive integer, got ${values.runs}`);
}
if (!Number.isInteger(activeIps) || activeIps < 0 || activeIps > 10_000) {
  throw new Error(`--ips must be an integer from 0 to 10,000, got ${values.ips}`);
}

const progress = (text: string) => process.stderr.write(`… ${text}\n`);
const ms = (value: number) => `${formatNumber(value, value < 10 ? 2 : value < 100 ? 1 : 0)} ms`;
const times = (value: number) => `${value.toFixed(2)}×`;
if (values['functions-only'] === true) {
  // Bench 4 alone, printed only: for a run on another Node binary (`--node`), such as the one Lambda runs.
  await benchFunctionsAndPrint();
  process.exit(0);
}
progress('building the workloads bundle (infra/bundling.ts options)');
const bundle = await loadBundledWorkloads();
const {
  benchAclPlannerScaling,
  benchBreakerCost,
  benchDecideReconcile,
  benchNetworkFirewallRoom,
  benchOverflowScaling,
} = bundle.workloads;
const started = performance.now();
if (values['scale-only'] === true) {
  // Bench 6 alone, printed and not written to bench/results.json, which holds every bench of one run.
  await benchScaleAndPrint();
  process.exit(0);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const machine = {
  node: process.version,
  platform: `${platform()} ${release()}`,
  cpu,
  cores: cpus().length,
};
console.log(`Egress Warden benchmarks — Node ${machine.node}, ${machine.platform}`);
console.log(`${machine.cpu}, ${machine.cores} cores`);
console.log(
  `Breaker: maxNewBlocksPerHour = ${formatNumber(BENCH_MAX_NEW_BLOCKS_PER_HOUR)}, so it never trips here.`,
);
console.log('Figures are medians; compare the ratios, not the absolute times, across machines.\n');

// Bench 1 ------------------------------------------------------------------------------------------------
progress(`Bench 1: decide + reconcile, ${runs} runs of each workload`);
const bench1 = await benchDecideReconcile({
  activeDecisions: 10_000,
  activeIps,
  signals: 10_000,
  runs,
  networkFirewallCapacity: 30_000,
});
const { loaded, empty } = bench1;
console.log('Bench 1 — 10,000 signals against 10,000 active decisions (in-memory adapters)');
console.log(
  `Active: ${formatNumber(10_000 - activeIps)} domains + ${formatNumber(activeIps)} IP /32s and /128s. ` +
    'Signals: 5,000 new indicators (same mix), then 5,000 repeats (extended).',
);
console.log(
  'Baseline: an empty store, the same 5,000 new signals, then 5,000 repeats of those (same outcome mix).',
);
console.log(
  formatTable([
    ['measure', 'empty store', '10,000 active', 'loaded/empty'],
    [
      'decide throughput',
      `${formatNumber(empty.decideSignalsPerSecond)}/s`,
      `${formatNumber(loaded.decideSignalsPerSecond)}/s`,
      times(
        empty.decideSignalsPerSecond === 0 ? 0 : loaded.decideSignalsPerSecond / empty.decideSignalsPerSecond,
      ),
    ],
    ['decide 10,000 signals', ms(empty.decideMs), ms(loaded.decideMs), times(bench1.ratios.decideTime)],
    ['reconcile after them', ms(empty.reconcileMs), ms(loaded.reconcileMs), times(bench1.ratios.reconcile)],
    [
      'no-op reconcile',
      ms(empty.noopReconcileMs),
      ms(loaded.noopReconcileMs),
      times(bench1.ratios.noopReconcile),
    ],
  ]),
);
console.log(
  `Outcomes (loaded): ${JSON.stringify(loaded.outcomes)}; (empty): ${JSON.stringify(empty.outcomes)}`,
);
console.log(
  `Targets after the measured reconcile (loaded): ${loaded.targets
    .map((t) => `${t.target} ${t.status} ${t.changes} writes, ${formatNumber(t.overflow)} overflow`)
    .join('; ')}`,
);
console.log(
  `Memory for 10,000 active decisions projected onto the targets: heapUsed +${formatMiB(
    bench1.memory.heapUsedDelta,
  )}, RSS +${formatMiB(bench1.memory.rssDelta)} (median); peak RSS so far ${formatMiB(bench1.memory.peakRss)}.\n`,
);

// Bench 1b: the network ACL planner -----------------------------------------------------------------------
progress('Bench 1b: network ACL planner scaling');
const scaling = benchAclPlannerScaling([100, 1_000, 3_000, 10_000], 21);
console.log('Bench 1b — planNetworkAcl time by number of IP blocks (one ACL, median of 21)');
console.log(
  formatTable([
    ['IP blocks', 'plan', 'vs 100 IPs'],
    ...scaling.points.map((p) => [formatNumber(p.ips), ms(p.medianMs), times(p.ratioToFirst)]),
  ]),
);
console.log(
  `Growth exponent ${scaling.exponent.toFixed(2)} (1 = linear, 2 = quadratic); every reconcile plans each ACL.\n`,
);

// Bench 1c: the breaker -------------------------------------------------------------------------------------
progress('Bench 1c: breaker window cost');
const breaker = await benchBreakerCost([0, 5_000, 10_000], 500, 3);
console.log(
  'Bench 1c — decide cost of one new block by blocks already in the breaker window (500 blocks, median of 3)',
);
console.log(
  formatTable([
    ['blocks in window', 'per new block', 'vs empty window'],
    ...breaker.points.map((p) => [formatNumber(p.window), ms(p.msPerNewBlock), times(p.ratioToEmpty)]),
  ]),
);
console.log('The breaker keeps one count a minute, so its record stays small whatever the window holds.\n');

// Bench 1d: reconcile with blocks that do not fit ------------------------------------------------------------
progress('Bench 1d: reconcile with blocks that do not fit');
const overflowScaling = await benchOverflowScaling([1_000, 4_000, 16_000], 3);
console.log(
  'Bench 1d — reconcile time by active blocks that do not fit (every target nearly full; median of 3)',
);
console.log(
  formatTable([
    ['active blocks', 'overflowing', 'first reconcile', 'next reconcile', 'first vs 1,000'],
    ...overflowScaling.points.map((p) => [
      formatNumber(p.blocks),
      formatNumber(p.overflowing),
      ms(p.firstMs),
      ms(p.steadyMs),
      times(p.firstRatioToFirst),
    ]),
  ]),
);
console.log(
  `Growth exponents (1 = linear, 2 = quadratic): ${overflowScaling.exponents
    .map(
      (e) =>
        `${formatNumber(e.from)}→${formatNumber(e.to)} first ${e.first.toFixed(2)}, next ${e.steady.toFixed(2)}`,
    )
    .join('; ')}. The first reconcile records the overflow on every decision and alerts once per target.\n`,
);

// Bench 2 ----------------------------------------------------------------------------------------------------
progress('Bench 2: AWS calls for 10,000 domains and 500 IPs');
const bench2 = await benchAwsCalls({ domains: 10_000, ips: 500, networkFirewallCapacity: 30_000 });
console.log('Bench 2 — AWS calls to apply 10,000 new domains + 500 IPs, then remove them at expiry');
console.log('(AWS adapters on aws-sdk-client-mock stateful fakes; no sleeps; store in memory)');
console.log(
  formatTable([
    ['service', 'command', 'kind', 'decide', 'apply', 'expire', 'total'],
    ...bench2.commands.map((c) => [
      c.service,
      c.command,
      c.kind,
      formatNumber(c.decide),
      formatNumber(c.apply),
      formatNumber(c.expire),
      formatNumber(c.total),
    ]),
  ]),
);
console.log('');
console.log(
  formatTable([
    ['target', 'writes', 'minimum', 'actual/min', 'minimum is'],
    ...bench2.writes.map((w) => [
      w.target,
      formatNumber(w.actual),
      formatNumber(w.minimum),
      times(w.ratio),
      w.how,
    ]),
    [
      'all targets',
      formatNumber(bench2.totals.writes),
      formatNumber(bench2.totals.minimumWrites),
      times(bench2.totals.writeRatio),
      '',
    ],
  ]),
);
console.log(
  `Reads (List/Get/Describe): ${formatNumber(bench2.totals.reads)}. SNS Publish: ${formatNumber(
    bench2.totals.publishes,
  )}. All commands: ${formatNumber(bench2.totals.allCommands)}.`,
);
console.log(
  `Overflow: ${formatNumber(bench2.overflow.networkAcls)} of 500 IPs did not fit the network ACL; ` +
    `Network Firewall left out ${formatNumber(bench2.overflow.networkFirewall.domains)} domains and ` +
    `${formatNumber(bench2.overflow.networkFirewall.ips)} IPs (2,000,000-byte rules string); ` +
    `${formatNumber(bench2.overflow.ipsEnforcedNowhere)} IPs are enforced by no target.`,
);
console.log(
  `Blocks ended at expiry: ${formatNumber(bench2.reports.ended)}; targets empty afterwards: ${
    bench2.targetsEmptyAfterExpiry ? 'yes' : 'NO'
  }.`,
);

// Bench 2b: modelled wall-clock against the enforce timeout ---------------------------------------------------
progress('Bench 2b: modelled wall-clock of enforce with the DNS Firewall list UPDATING 1 s, 10 s, 60 s');
const { benchWallClock, formatWallClock } = await import('./wall-clock');
const wallClock = await benchWallClock({
  domains: 10_000,
  ips: 500,
  networkFirewallCapacity: 30_000,
  updatingSeconds: [1, 10, 60],
});
console.log(`\n${formatWallClock(wallClock)}`);

// Bench 3: the room of one Network Firewall rule group ---------------------------------------------------
progress('Bench 3: Network Firewall rule group room');
const room = benchNetworkFirewallRoom();
console.log(
  `\nBench 3 — room of one Network Firewall rule group (capacity ${formatNumber(room.limits.capacity)}, ` +
    `${formatNumber(room.limits.bytes)} bytes); ~30-character domains, addresses half IPv4 /32, half IPv6 /128`,
);
console.log(
  formatTable([
    ['measure', 'one rule per indicator', 'grouped rules'],
    ['domains alone', formatNumber(room.before.domainsAlone), formatNumber(room.after.domainsAlone)],
    ['addresses alone', formatNumber(room.before.addressesAlone), formatNumber(room.after.addressesAlone)],
    [
      'domains beside 1,000 addresses',
      formatNumber(room.before.domainsBesideAddresses),
      formatNumber(room.after.domainsBesideAddresses),
    ],
    [
      'bytes per domain',
      formatNumber(room.before.bytesPerDomain, 1),
      formatNumber(room.after.bytesPerDomain, 1),
    ],
    [
      'bytes per address',
      formatNumber(room.before.bytesPerAddress, 1),
      formatNumber(room.after.bytesPerAddress, 1),
    ],
    [
      'rules for 10,000 domains + 1,000 addresses',
      formatNumber(room.before.rulesFor10kDomains1kAddresses),
      formatNumber(room.after.rulesFor10kDomains1kAddresses),
    ],
  ]),
);

// Bench 4 ------------------------------------------------------------------------------------------------
const bundles = await benchFunctionsAndPrint();

// Bench 4b -----------------------------------------------------------------------------------------------
progress('Bench 4b: the egress-warden command, bundled, started against a bare node start');
const { measureCliStartup } = await import('./cli-startup');
const cliStartup = await measureCliStartup(10);
console.log('\nBench 4b — the published egress-warden command (esbuild, ESM, split into chunks per command)');
console.log(
  `\`egress-warden --help\`: median ${ms(cliStartup.cliMs)} of ${cliStartup.runs} fresh processes; bare \`node -e ''\` ${ms(cliStartup.nodeMs)} in the same run: ${times(cliStartup.ratio)} (target ≤ 2×). Entry file ${formatNumber(cliStartup.entryBytes / 1024)} KiB of ${formatNumber(cliStartup.totalBytes / 1024)} KiB in all.`,
);

// Bench 5: the log detectors ------------------------------------------------------------------------------
// The 10× file (750 MiB, about 44 million records) takes about 4 minutes to stream on a 2-core machine:
// `--quick` stops at 3×, which shows whether memory follows the file's size as well.
const flowFileBytes = quick ? [75 * 2 ** 20, 225 * 2 ** 20] : [75 * 2 ** 20, 750 * 2 ** 20];
const detectors = await benchDetectors(
  { runs: 5, flowRecords: 200_000, dnsRecords: 100_000, fileBytes: flowFileBytes },
  progress,
);
const perSecond = (value: number) => `${formatNumber(value)}/s`;
console.log(
  '\nBench 5 — log detectors against the parse-only floor (gunzip + lines + parse) on the same bytes',
);
console.log(
  `Generated, seeded S3 files (gzip, read in 64 KiB chunks), mostly benign traffic with tunnelling, DGA, ` +
    `threat-intel hits, scans and exfiltration; in-memory state store and publisher; medians of ` +
    `${detectors.runs} interleaved runs. Per core: records per CPU second (gunzip's thread included).`,
);
console.log(
  formatTable([
    ['log', 'records', 'gzip', 'floor per core', 'detector per core', 'detector/floor', 'wall-clock ratio'],
    ...(
      [
        ['DNS query logs', detectors.dns],
        ['VPC Flow Logs', detectors.flows],
      ] as const
    ).map(([name, figures]) => [
      name,
      formatNumber(figures.records),
      formatMiB(figures.bytes),
      perSecond(figures.floor.recordsPerCpuSecond),
      perSecond(figures.detector.recordsPerCpuSecond),
      times(figures.ratio),
      times(figures.wallRatio),
    ]),
  ]),
);
console.log(`Signals (DNS): ${detectors.dns.signals.join('; ')}.`);
console.log(`Signals (flows): ${detectors.flows.signals.join('; ')}.`);
console.log(
  '\nFlow-log files streamed through readLogObject → parseFlowLogLines → detectFlows, one Node process each',
);
console.log(
  formatTable([
    ['gzip file', 'records', 'time', 'distinct keys', 'peak RSS', 'peak heapUsed', 'RSS at start', 'signals'],
    ...detectors.memory.files.map((f) => [
      formatMiB(f.bytes),
      formatNumber(f.records),
      `${formatNumber(f.seconds, 1)} s`,
      formatNumber(f.distinctKeys),
      formatMiB(f.peak.rss),
      formatMiB(f.peak.heapUsed),
      formatMiB(f.baseline.rss),
      formatNumber(f.signals),
    ]),
  ]),
);
console.log(
  `File ${times(detectors.memory.sizeRatio)} larger: peak RSS ${times(detectors.memory.rssRatio)}, ` +
    `peak heapUsed ${times(detectors.memory.heapUsedRatio)}.`,
);
const matcher = detectors.cidrMatcher;
console.log(
  `CIDR matcher (${formatNumber(matcher.cidrs)} CIDRs, ${formatNumber(matcher.lookups)} lookups, ` +
    `${formatNumber(matcher.matched)} found): build ${ms(matcher.buildMs)}, ` +
    `${perSecond(matcher.lookupsPerSecond)} lookups (medians of ${detectors.runs}).`,
);

// Bench 6: scale, on the bundled code -----------------------------------------------------------------------
const scale = await benchScaleAndPrint();

const elapsedSeconds = (performance.now() - started) / 1000;
console.log(`\nTotal bench time ${elapsedSeconds.toFixed(0)} s.`);

const rounded = (value: unknown): unknown => {
  if (typeof value === 'number') return Number.isInteger(value) ? value : round(value);
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, rounded(inner)]));
  }
  return value;
};
const results = {
  machine,
  options: { runs, activeIps, maxNewBlocksPerHour: BENCH_MAX_NEW_BLOCKS_PER_HOUR },
  decideReconcile: bench1,
  aclPlannerScaling: scaling,
  breakerCost: breaker,
  overflowScaling,
  awsCalls: bench2,
  wallClock,
  networkFirewallRoom: room,
  functionBundles: bundles,
  cliStartup,
  logDetectors: detectors,
  scale,
  elapsedSeconds,
};
const resultsFile = new URL('./results.json', import.meta.url);
await writeFile(resultsFile, `${JSON.stringify(rounded(results), null, 2)}\n`);
try {
  // The file is committed, so it is laid out the way `biome ci` expects.
  const biome = new URL('../node_modules/.bin/biome', import.meta.url);
  await promisify(execFile)(biome.pathname, ['format', '--write', resultsFile.pathname]);
} catch (error) {
  progress(`bench/results.json not formatted with Biome: ${error instanceof Error ? error.message : error}`);
}
progress('wrote bench/results.json');

/** Bench 4: builds the functions' bundles and their floors, measures cold imports, prints the table. */
async function benchFunctionsAndPrint(): Promise<Awaited<ReturnType<typeof benchFunctions>>> {
  progress("Bench 4: the functions' bundles, built as the stack builds them, and their cold imports");
  const bundles = await benchFunctions(10, values.node);
  console.log(
    `\nBench 4 — Lambda bundles (esbuild, ESM split into chunks, minified, SDK bundled) and cold import on Node ${bundles.nodeVersion}`,
  );
  console.log(
    `Cold import: median of 10 fresh Node processes importing the bundle; bare \`node -e ''\` median ${ms(bundles.bareMs)} in the same run.`,
  );
  console.log(
    'Read at start: the entry file and the chunks it imports statically; the other chunks load when first called.',
  );
  console.log(
    'SDK clients alone: a bundle, built the same way, that only creates the SDK clients the function uses.',
  );
  for (const f of bundles.functions) console.log(`  ${f.name}: ${f.sdkClients.join(', ')}`);
  console.log(
    `Libraries alone (Powertools logger, metrics and batch in a middy chain, tldts, valibot, ipaddr.js), built the same way: ${ms(bundles.librariesMs)}, ${times(bundles.librariesMs / bundles.bareMs)} a bare start.`,
  );
  console.log(
    formatTable([
      [
        'function',
        'bundle',
        'read at start',
        'gzip',
        'cold import',
        'over bare start',
        'SDK clients alone',
        'over them',
      ],
      ...bundles.functions.map((f) => [
        f.name,
        `${formatNumber(f.bytes / 1024)} KiB`,
        `${formatNumber(f.startBytes / 1024)} KiB`,
        `${formatNumber(f.gzipBytes / 1024)} KiB`,
        ms(f.coldImportMs),
        times(f.coldImportRatio),
        `${ms(f.sdkFloorMs)} (${times(f.sdkFloorMs / bundles.bareMs)})`,
        times(f.overFloorRatio),
      ]),
    ]),
  );
  return bundles;
}

/** Bench 6: runs it (one fresh process per point), removes the bundle, prints its tables. */
async function benchScaleAndPrint(): Promise<Awaited<ReturnType<typeof benchScale>>> {
  const scaleSizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  const scale = await benchScale({
    file: bundle.file,
    sizes: scaleSizes,
    simulateBlocks: [8_000, 32_000],
    runs: quick ? 1 : 3,
    progress,
  });
  await bundle.remove();
  console.log(
    `\nBench 6 — scale on the bundled code (${formatNumber(bundle.bytes / 1024)} KiB bundle, one fresh process per point): ` +
      'CPU time (user + system) of a no-op reconcile and of one event end to end (decide one new signal, then ' +
      'the reconcile it triggers), each beside its floor, the three planners alone on the same entries in the ' +
      "same process; the last column is the event in elapsed time (CPU time also counts V8's background " +
      `threads). Active: 97% domains, 3% IPs; seen once (fresh records) or ${bundle.workloads.MANY_SEEN} times (distinct keys).`,
  );
  console.log(
    formatTable([
      [
        'active',
        'seen',
        'no-op reconcile',
        'floor',
        'over floor',
        'one event',
        'floor',
        'over floor',
        'event elapsed',
      ],
      ...scale.points.map((p) => [
        formatNumber(p.active),
        p.seen,
        ms(p.noopMs),
        ms(p.noopFloorMs),
        times(p.noopRatio),
        ms(p.eventMs),
        ms(p.eventFloorMs),
        times(p.eventRatio),
        ms(p.eventWallMs),
      ]),
    ]),
  );
  console.log(
    `Fitted growth exponents, log-log least squares (1 = linear, 2 = quadratic): ${scale.exponents
      .map(
        (e) =>
          `seen ${e.seen} ${formatNumber(e.from)}→${formatNumber(e.to)}: no-op ${e.noop.toFixed(2)} (floor ${e.noopFloor.toFixed(2)}), event ${e.event.toFixed(2)}`,
      )
      .join('; ')}.`,
  );
  console.log(
    `simulate (CPU, start-up of ${ms(scale.simulate.startupMs)} subtracted): ${scale.simulate.points
      .map((p) => `${formatNumber(p.blocks)} blocks ${ms(p.netMs)}`)
      .join(', ')}; ${times(scale.simulate.sizeRatio)} the blocks cost ${times(scale.simulate.ratio)}.`,
  );
  return scale;
}
