/** `status`: how the deployment is doing, per target and as a whole, for people or (`--json`) scripts. */
import type { Command } from 'commander';
import type { CliContext } from '../context';

interface StatusOptions {
  json?: boolean;
}

/** Registers `status`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .summary('per target its mode, room, last reconcile; the breaker, the pause, queue depths')
    .description(
      "Show the last enforce run (when, how long, each target's mode, result, overflow and warnings), each " +
        "target's used and free room (entries per network ACL against the quota, domains, rule-group capacity " +
        'and size), the breaker and the pause, and how many messages wait in the dead-letter queue and the ' +
        "detectors' failure queue.",
    )
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nExamples:\n  egress-warden status\n  egress-warden status --json | jq \'.targets[] | select(.status == "failed")\'',
    )
    .action(async (options: StatusOptions) => {
      const [{ fromAwsError }, { formatTable, toJson }, { queueDepth }] = await Promise.all([
        import('../errors'),
        import('../format'),
        import('../queues'),
      ]);
      const deployment = await ctx.deployment();
      const store = await ctx.store();
      const [enforce, breaker, pause] = await Promise.all([
        store.getEnforceStatus(),
        store.getBreaker(),
        store.getPause(),
      ]).catch((error: unknown) => {
        throw fromAwsError(error, 'read the decision table (dynamodb:GetItem)');
      });
      const deadLetters = await queueDepth(ctx, deployment.deadLetterQueueUrl);
      const detectorFailures =
        deployment.detectorFailureQueueUrl === undefined
          ? undefined
          : await queueDepth(ctx, deployment.detectorFailureQueueUrl);
      const { recentBlocks: _, version: __, ...breakerShown } = breaker;
      const { version: ___, ...pauseShown } = pause;
      if (options.json) {
        ctx.out(
          toJson({
            stack: deployment.stackName,
            region: deployment.region,
            pause: pauseShown,
            breaker: breakerShown,
            lastRun: enforce ?? null,
            queues: {
              deadLetter: deadLetters,
              ...(detectorFailures !== undefined && { detectorFailures }),
            },
          }),
        );
        return;
      }
      const now = ctx.now();
      ctx.out(`Egress Warden ${deployment.stackName} (${deployment.region})`);
      ctx.out(
        pause.paused
          ? `Paused: YES since ${pause.since ?? '?'} by ${pause.by ?? '?'}: ${pause.reason ?? 'no reason'} (new blocks are shadowed; \`egress-warden resume\` ends it)`
          : 'Paused: no',
      );
      ctx.out(
        breaker.open
          ? `Breaker: OPEN since ${breaker.openedAt ?? '?'}: ${breaker.reason ?? 'no reason'} (\`egress-warden reset-breaker\` after review)`
          : 'Breaker: closed',
      );
      ctx.out(
        `Dead-letter queue: ${deadLetters} message(s)${deadLetters > 0 ? ' (events decide could not handle: see its logs)' : ''}`,
      );
      if (detectorFailures !== undefined) ctx.out(`Detector failure queue: ${detectorFailures} message(s)`);
      if (!enforce) {
        ctx.out('Last enforce run: none recorded yet (enforce runs every minute once deployed).');
        return;
      }
      const ago = Math.max(0, Math.round((now.getTime() - Date.parse(enforce.at)) / 1000));
      ctx.out(
        `Last enforce run: ${enforce.at} (${ago}s ago), took ${enforce.durationMs} ms; ${enforce.ended} block(s) ended, ${enforce.driftRepaired} drift repair(s)`,
      );
      ctx.out('');
      const rows = enforce.targets.map((t) => [
        t.target,
        t.mode,
        t.status,
        String(t.changes),
        String(t.held),
        String(t.overflowCount),
        (t.usage ?? []).map((u) => `${u.what} ${u.used}/${u.limit} (${u.limit - u.used} free)`).join('; ') ||
          '-',
      ]);
      ctx.out(formatTable(['TARGET', 'MODE', 'RESULT', 'CHANGES', 'HELD', 'OVERFLOW', 'ROOM'], rows));
      const notes = enforce.targets.flatMap((t) => [
        ...(t.error ? [`  ${t.target}: ERROR ${t.error}`] : []),
        ...t.warnings.map((w) => `  ${t.target}: ${w}`),
        ...(t.warningsCut ? [`  ${t.target}: … and ${t.warningsCut} more warning(s)`] : []),
      ]);
      if (notes.length > 0) ctx.out('', 'Errors and warnings:', ...notes);
    });
}
