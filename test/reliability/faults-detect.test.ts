/**
 * Faults on the warden bus under the `detect-dns` function, through its real middy chain: the detector table
 * on dynalite, EventBridge PutEvents on aws-sdk-client-mock refusing some entries or whole calls. A signal a
 * detector found must reach the bus, once the fault is over: retried inside the invocation, or by Lambda's
 * retry of the invocation that failed.
 */
import { PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { describe, expect, it, vi } from 'vitest';
import type { LogDetectionReport } from '#shared/use-cases/detect-log';
import { createDetectDnsHandler } from '../../functions/detect-dns/handler';
import { subscriptionEvent } from '../logs/samples';
import { createDetectorWorld } from '../support/detector-functions';
import { tunnelQueries } from '../support/dns-traffic';
import { useFunctionHooks } from '../support/function-hooks';
import { lambdaContext } from '../support/lambda-events';

// The module builds its handler from the environment when imported, as Lambda does at cold start.
await vi.hoisted(async () => {
  const { detectorEnvironment } = await import('../support/detector-functions');
  for (const [name, value] of Object.entries(detectorEnvironment('detector-state'))) vi.stubEnv(name, value);
});

const TUNNEL = 'exfil-tunnel.net';

const { dynalite, captureOutput } = useFunctionHooks();

/** How PutEvents answers each call: `ok`, one entry refused with a code, or the whole call failing. */
type Answer = 'ok' | { readonly entry: string } | { readonly call: string };

/** The detector world with PutEvents answering `answers` in turn (then `ok`); keeps the entries accepted. */
async function createWorld(answers: readonly Answer[]) {
  const world = await createDetectorWorld(dynalite);
  const accepted: string[] = [];
  const queue = [...answers];
  world.eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => {
    const answer = queue.shift() ?? 'ok';
    const entries = input.Entries ?? [];
    if (typeof answer === 'object' && 'call' in answer) {
      throw Object.assign(new Error(`injected ${answer.call}`), { name: answer.call, $metadata: {} });
    }
    const refused = typeof answer === 'object' ? 0 : -1;
    entries.forEach((entry, n) => {
      if (n !== refused) accepted.push(JSON.parse(entry.Detail ?? '{}').indicator);
    });
    return {
      FailedEntryCount: refused === 0 ? 1 : 0,
      Entries: entries.map((_, n) =>
        n === refused && typeof answer === 'object' && 'entry' in answer
          ? { ErrorCode: answer.entry, ErrorMessage: `injected ${answer.entry}` }
          : { EventId: `event-${n}` },
      ),
    };
  });
  const handler = createDetectDnsHandler(world.deps);
  const input = subscriptionEvent(tunnelQueries(1, { domain: TUNNEL, count: 250 }).map((query) => query.raw));
  /** One invocation on the tunnel's queries; resolves to the error name when it throws. */
  const invoke = () =>
    (handler(input, lambdaContext('detect-dns')) as Promise<LogDetectionReport | undefined>).then(
      () => 'completed',
      (error: Error) => `failed: ${error.name}`,
    );
  return { ...world, accepted, invoke };
}

describe('detect-dns with the warden bus failing', () => {
  it.each([
    { fault: 'the entry refused with ThrottlingException', answers: [{ entry: 'ThrottlingException' }] },
    { fault: 'the entry refused with InternalFailure', answers: [{ entry: 'InternalFailure' }] },
    {
      fault: 'the call throttled twice',
      answers: [{ call: 'ThrottlingException' }, { call: 'ThrottlingException' }],
    },
    { fault: 'the call failing with InternalException', answers: [{ call: 'InternalException' }] },
  ] satisfies { fault: string; answers: Answer[] }[])(
    'publishes the signal once within the invocation with $fault',
    async ({ answers }) => {
      // Prepare
      const world = await createWorld(answers);
      captureOutput();

      // Act
      const outcome = await world.invoke();

      // Assess
      expect(outcome).toBe('completed');
      expect(world.accepted).toEqual([TUNNEL]);
    },
  );

  it('publishes the signal on the retried invocation when a server error outlasts the retries', async () => {
    // Prepare: the publisher's four attempts all fail.
    const world = await createWorld(Array.from({ length: 4 }, () => ({ call: 'InternalException' })));
    captureOutput();

    // Act: Lambda retries an invocation that failed, with the same input.
    const first = await world.invoke();
    const retried = await world.invoke();

    // Assess
    expect({ first, retried }).toEqual({ first: 'failed: ServiceUnavailableError', retried: 'completed' });
    expect(world.accepted).toEqual([TUNNEL]);
  });
});
