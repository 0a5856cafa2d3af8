/**
 * Use case: a stream of VPC Flow Log records (one CloudWatch Logs batch, or one S3 file) through the flow
 * detections. Records are folded into one batch (memory grows with distinct keys, not with records), each
 * detection's windowed counts go to the detector state store, and the signals found are put on the warden bus.
 */
import type { FlowDetector, FlowRecord, FlowSignal } from '#domain/detect/flow';
import type { DetectorStateStore } from '#ports/detector-state';
import type { ThreatSignalPublisher } from '#ports/signal-publisher';
import type { FlowLogEntry, FlowRecord as LoggedFlow } from '#shared/logs/flow-log';
import type { MalformedRecord } from '#shared/logs/malformed';
import { MALFORMED_LISTED } from './detect-dns';

/** What the flow detector needs besides its records. */
export interface FlowDetectorDependencies {
  readonly detector: FlowDetector;
  readonly state: DetectorStateStore;
  readonly publisher: ThreatSignalPublisher;
}

/** What one run found. */
export interface FlowDetectionReport {
  /** Records read: traffic, NODATA / SKIPDATA and malformed ones. */
  readonly records: number;
  /** NODATA and SKIPDATA records (no traffic), and traffic records the detector could not use. */
  readonly statusRecords: number;
  readonly unusable: number;
  readonly malformed: { readonly count: number; readonly first: readonly MalformedRecord[] };
  readonly signals: readonly FlowSignal[];
}

/**
 * The detector's view of one logged flow, or undefined when it lacks what every detection needs (addresses,
 * times, action). Behind a NAT gateway or with secondary addresses the packet's own addresses (`pkt-srcaddr`,
 * `pkt-dstaddr`) say who talked to whom, so they win over the interface's.
 */
export function flowRecordOf(logged: LoggedFlow): FlowRecord | undefined {
  const srcAddr = logged.pktSrcaddr ?? logged.srcaddr;
  const dstAddr = logged.pktDstaddr ?? logged.dstaddr;
  const { start, end, action } = logged;
  if (!srcAddr || !dstAddr || start === undefined || end === undefined || !action) return undefined;
  // One object of one shape per record, built field by field: this runs for every record of every file.
  return {
    start: start * 1000,
    end: end * 1000,
    srcAddr,
    dstAddr,
    action,
    raw: logged.raw,
    srcPort: logged.srcport,
    dstPort: logged.dstport,
    protocol: logged.protocol,
    bytes: logged.bytes,
    packets: logged.packets,
    flowDirection: logged.flowDirection,
    tcpFlags: logged.tcpFlags,
    pktDstAwsService: logged.pktDstAwsService,
    trafficPath: logged.trafficPath,
    vpcId: logged.vpcId,
    subnetId: logged.subnetId,
    instanceId: logged.instanceId,
    interfaceId: logged.interfaceId,
    account: logged.accountId,
  };
}

/**
 * Runs the flow detections over parsed flow-log entries (malformed ones are counted and listed, the rest goes
 * on) and publishes what they find. Throws what the store or the publisher throws: the caller retries the whole
 * input, and intake's de-duplication on each signal's evidence key keeps a retried detection from counting twice;
 * `input` names it (a file, a subscription batch) so that the store counts a retried input's records once.
 */
export async function detectFlows(
  entries: AsyncIterable<FlowLogEntry> | Iterable<FlowLogEntry>,
  deps: FlowDetectorDependencies,
  input?: string,
): Promise<FlowDetectionReport> {
  const { detector, state, publisher } = deps;
  const batch = detector.batch();
  const malformed = { count: 0, first: [] as MalformedRecord[] };
  let records = 0;
  let statusRecords = 0;
  let unusable = 0;
  for await (const entry of entries) {
    records++;
    if (entry.kind === 'malformed') {
      if (++malformed.count <= MALFORMED_LISTED) malformed.first.push(entry);
    } else if (entry.kind === 'flow-status') statusRecords++;
    else {
      const record = flowRecordOf(entry);
      if (record) batch.add(record);
      else unusable++;
    }
  }
  const windows = batch.windows();
  const totals = await Promise.all(
    windows.map((window) => state.addAndTotal(window.increments, window.shape, input)),
  );
  const signals = windows.flatMap((window, i) => batch.signals(window.detection, totals[i] ?? []));
  if (signals.length > 0) await publisher.publish(signals);
  return { records, statusRecords, unusable: unusable + batch.counts.unreadable, malformed, signals };
}
