/**
 * Detector output (`detail-type: Threat Signal` on the warden bus): the contract the log detectors and feeds
 * write to. `detail` is a signal in its JSON form:
 *
 * ```json
 * { "source": "dns-log" | "flow-log" | "feed", "indicator": "evil.example.com", "severity": 8,
 *   "detector": "dns-tunnel", "observedAt": "2026-11-28T10:00:00Z",
 *   "evidence": { "key": "optional idempotency key", "summary": "one line", "details": ["log line", …] },
 *   (details: at most 50 lines of 4,096 characters, and 16 KiB of UTF-8 in all)
 *   "workload": { "account", "region", "vpcId", "subnetId", "instanceId", "eniId", "functionName",
 *                 "functionArn", "cluster", "container", "image" }, "sample": false }
 * ```
 */
import * as v from 'valibot';
import { parseIndicator } from '#domain/indicator';
import { utf8Length } from '#domain/record-budget';
import { parseWith, TimestampSchema } from '#domain/validate';
import type { Command } from './command';

/** The source of every detector event on the warden bus. */
export const DETECTOR_SOURCE = 'egress-warden.detectors';

/** The most a signal's detail lines may take together. */
const MAX_DETAILS_BYTES = 16 * 1024;

const text = (max: number) => v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(max));

/** The JSON schema of a Threat Signal's detail, as detectors must write it. */
export const ThreatSignalSchema = v.strictObject({
  source: v.picklist(['dns-log', 'flow-log', 'feed']),
  indicator: v.string(),
  severity: v.pipe(v.number(), v.minValue(0), v.maxValue(10)),
  detector: text(128),
  observedAt: TimestampSchema,
  evidence: v.strictObject({
    key: v.optional(text(512)),
    summary: text(1024),
    details: v.optional(
      v.pipe(
        v.array(v.pipe(v.string(), v.maxLength(4096))),
        v.maxLength(50),
        // So that one signal fits the decision record's evidence budget without being cut.
        v.check(
          (lines) => lines.reduce((sum, line) => sum + utf8Length(line), 0) <= MAX_DETAILS_BYTES,
          'must not exceed 16,384 bytes of UTF-8 in all',
        ),
      ),
    ),
  }),
  workload: v.optional(
    v.strictObject({
      account: v.optional(v.pipe(v.string(), v.regex(/^\d{12}$/, 'must be a 12-digit account id'))),
      region: v.optional(v.string()),
      vpcId: v.optional(v.string()),
      subnetId: v.optional(v.string()),
      instanceId: v.optional(v.string()),
      eniId: v.optional(v.string()),
      functionName: v.optional(v.string()),
      functionArn: v.optional(v.string()),
      cluster: v.optional(v.string()),
      container: v.optional(v.string()),
      image: v.optional(v.string()),
    }),
  ),
  sample: v.optional(v.boolean()),
});

/** A Threat Signal's detail as a detector writes it (the JSON form of a signal). */
export type ThreatSignalDetail = v.InferInput<typeof ThreatSignalSchema>;

/** Turns a detector's Threat Signal into a command; `id` is the EventBridge event id. */
export function threatSignalCommand(detail: unknown, id: string): Command {
  const input = parseWith(ThreatSignalSchema, detail, 'detail');
  return {
    kind: 'signal',
    signal: {
      source: input.source,
      intent: 'block',
      indicator: parseIndicator(input.indicator, 'detail.indicator'),
      severity: input.severity,
      detector: input.detector,
      evidence: {
        key: input.evidence.key ?? `${input.source}:${input.detector}:${id}`,
        summary: input.evidence.summary,
        ...(input.evidence.details ? { details: input.evidence.details } : {}),
      },
      workload: input.workload ?? {},
      observedAt: input.observedAt,
      sample: input.sample ?? false,
    },
  };
}
