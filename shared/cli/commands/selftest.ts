/**
 * `selftest`: proves a fresh deployment works end to end without blocking anything. GuardDuty creates a
 * sample finding of an egress type Egress Warden handles; the finding goes the way a real one does (default
 * bus → decide queue → decide), is recorded in shadow (sample findings are never enforced) and alerted. Each
 * hop is reported with its latency, or the hop where it stopped and what to check.
 */
import type { Command } from 'commander';
import type { AuditRecord } from '#domain/decision';
import type { CliContext } from '../context';
import { parseTimeout } from '../parse';

/** A DNS C2 finding: Egress Warden blocks its domain (when it is not a sample). */
export const SELFTEST_FINDING_TYPE = 'Backdoor:EC2/C&CActivity.B!DNS';
/** The domain GuardDuty puts in every sample finding of that type (events/guardduty/c2-domain.json). */
export const SELFTEST_DOMAIN = 'guarddutyc2activityb.com';

interface SelftestOptions {
  timeout: number;
  json?: boolean;
}

/** One hop of the path, as reported. */
interface Hop {
  readonly hop: 'finding' | 'decision' | 'alert';
  readonly at: string;
  /** Since the previous hop (the request, for the finding). */
  readonly latencyMs: number;
  readonly detail: string;
}

/** Registers `selftest`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('selftest')
    .summary('prove the deployment works: a GuardDuty sample finding, decided in shadow and alerted')
    .description(
      `Asks GuardDuty for a sample ${SELFTEST_FINDING_TYPE} finding (CreateSampleFindings on the Region's detector), ` +
        `then waits until it is listed, Egress Warden records its decision on ${SELFTEST_DOMAIN} in shadow (sample ` +
        'findings never block anything) and publishes its alert. Reports each hop with its latency, or where it ' +
        'stopped and what to check (exit 6).',
    )
    .option('--timeout <duration>', 'how long to wait for the whole path', parseTimeout, parseTimeout('180s'))
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      "\nThe first step after deploying. Needs guardduty:ListDetectors, CreateSampleFindings and ListFindings (in the\nstack's OperatorPolicyArn).\n\nExamples:\n  egress-warden selftest\n  egress-warden selftest --timeout 5m --json",
    )
    .action(async (options: SelftestOptions) => {
      const [gd, { CliError, EXIT, fromAwsError }, { toJson }, { queueDepth }, { pollUntil }] =
        await Promise.all([
          import('@aws-sdk/client-guardduty'),
          import('../errors'),
          import('../format'),
          import('../queues'),
          import('../manual'),
        ]);
      const [guardDuty, deployment, store] = await Promise.all([
        ctx.clients.guardDuty(),
        ctx.deployment(),
        ctx.store(),
      ]);
      const call = async <T>(action: string, send: () => Promise<T>): Promise<T> => {
        try {
          return await send();
        } catch (error) {
          throw fromAwsError(error, action);
        }
      };
      const { DetectorIds = [] } = await call('list GuardDuty detectors (guardduty:ListDetectors)', () =>
        guardDuty.send(new gd.ListDetectorsCommand({})),
      );
      const detectorId = DetectorIds[0];
      if (detectorId === undefined) {
        throw new CliError(`no GuardDuty detector in ${deployment.region}`, EXIT.notFound, {
          hint: 'enable GuardDuty in this Region (aws guardduty create-detector --enable), or pass --region',
        });
      }
      const started = ctx.now();
      const deadline = started.getTime() + options.timeout;
      if (!options.json) {
        ctx.out(
          `Asking GuardDuty (detector ${detectorId}, ${deployment.region}) for a sample ${SELFTEST_FINDING_TYPE} finding…`,
        );
      }
      await call('create a sample finding (guardduty:CreateSampleFindings)', () =>
        guardDuty.send(
          new gd.CreateSampleFindingsCommand({
            DetectorId: detectorId,
            FindingTypes: [SELFTEST_FINDING_TYPE],
          }),
        ),
      );

      const hops: Hop[] = [];
      const report = (hop: Hop) => {
        hops.push(hop);
        if (!options.json) ctx.out(`  ok  ${hop.hop.padEnd(8)} +${seconds(hop.latencyMs)}  ${hop.detail}`);
      };
      const since = (at: string) => Date.parse(at) - Date.parse(hops.at(-1)?.at ?? started.toISOString());
      let findingId: string | undefined;
      let decidedAt: string | undefined;

      // Has GuardDuty listed the sample finding yet?
      const findSample = async (): Promise<string | undefined> => {
        const { FindingIds = [] } = await call('list findings (guardduty:ListFindings)', () =>
          guardDuty.send(
            new gd.ListFindingsCommand({
              DetectorId: detectorId,
              FindingCriteria: {
                Criterion: {
                  type: { Equals: [SELFTEST_FINDING_TYPE] },
                  'service.additionalInfo.sample': { Equals: ['true'] },
                  updatedAt: { GreaterThanOrEqual: started.getTime() },
                },
              },
            }),
          ),
        );
        const found = FindingIds[0];
        if (found !== undefined) {
          const at = ctx.now().toISOString();
          report({
            hop: 'finding',
            at,
            latencyMs: since(at),
            detail: `GuardDuty listed the sample finding ${found}`,
          });
        }
        return found;
      };
      // When the finding's decision was recorded, if it is; anything but shadow fails the test.
      const decisionOf = (trail: readonly AuditRecord[], finding: string): string | undefined => {
        const evidence = `guardduty:${finding}`;
        const decision = trail.find((r) => r.evidence?.key === evidence && r.at >= started.toISOString());
        if (!decision) return undefined;
        if (decision.event !== 'shadow') {
          throw new CliError(
            `the sample finding was decided "${decision.event}", not shadow: ${decision.reason}`,
            EXIT.failed,
            {
              hint: `sample findings must never block: \`egress-warden explain ${SELFTEST_DOMAIN}\`, and unblock it if it is blocked`,
            },
          );
        }
        report({
          hop: 'decision',
          at: decision.at,
          latencyMs: since(decision.at),
          detail: `recorded in shadow: ${decision.reason}`,
        });
        return decision.at;
      };
      // The alert published after the decision, if it is; a failed one fails the test.
      const alertAfter = (trail: readonly AuditRecord[], at: string): AuditRecord | undefined => {
        const alerted = trail.find(
          (r) => (r.event === 'alerted' || r.event === 'alert-failed') && r.at >= at,
        );
        if (alerted?.event === 'alert-failed') {
          throw new CliError(`the alert could not be published: ${alerted.reason}`, EXIT.failed, {
            hint: `check the alert topic ${deployment.topicArn} (its key policy, subscriptions) and the decide function's logs`,
          });
        }
        return alerted;
      };
      const timedOut = async () => {
        const waited = seconds(options.timeout);
        if (findingId === undefined) {
          return new CliError(`no sample finding after ${waited} (hop: finding)`, EXIT.timeout, {
            hint: `GuardDuty did not list it: check that detector ${detectorId} is enabled in ${deployment.region}, then run selftest again`,
          });
        }
        if (decidedAt === undefined) {
          const dlq = await queueDepth(ctx, deployment.deadLetterQueueUrl);
          return new CliError(`no decision after ${waited} (hop: decision)`, EXIT.timeout, {
            hint: `check the GuardDuty rule on the default bus, the decide queue's dead-letter queue (${dlq} message(s)) and the decide function's logs`,
          });
        }
        return new CliError(`decision recorded, but no alert after ${waited} (hop: alert)`, EXIT.timeout, {
          hint: `check the alert topic ${deployment.topicArn} and the decide function's logs`,
        });
      };

      const alerted = await pollUntil(
        ctx,
        async () => {
          findingId ??= await findSample();
          if (findingId === undefined) return undefined;
          const trail = await store.listAudit(SELFTEST_DOMAIN).catch((error: unknown) => {
            throw fromAwsError(error, 'read the decision table (dynamodb:Query)');
          });
          decidedAt ??= decisionOf(trail, findingId);
          return decidedAt === undefined ? undefined : alertAfter(trail, decidedAt);
        },
        deadline,
        timedOut,
      );
      report({
        hop: 'alert',
        at: alerted.at,
        latencyMs: since(alerted.at),
        detail: `published: ${alerted.reason}`,
      });
      const total = Date.parse(alerted.at) - started.getTime();
      if (options.json) ctx.out(toJson({ ok: true, detectorId, findingId, hops, totalMs: total }));
      else ctx.out(`Self-test passed in ${seconds(total)}: finding → decision → alert, nothing blocked.`);
    });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}
