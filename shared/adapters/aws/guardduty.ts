/**
 * GuardDuty findings read back from the Region's detector (`ListDetectors`, `ListFindings`, `GetFindings`), for
 * the catch-up. Absorbs pagination, the 50-id limit of GetFindings, throttling, and the SDK's PascalCase
 * member names, which are turned back into the camelCase JSON names EventBridge delivers.
 */
import {
  type Finding,
  GetFindingsCommand,
  type GuardDutyClient,
  ListDetectorsCommand,
  ListFindingsCommand,
} from '@aws-sdk/client-guardduty';
import { awsErrorCode } from '#adapters/aws/errors';
import { ServiceUnavailableError, TargetNotFoundError, ThrottledError } from '#domain/errors';
import type { FindingDetail, FindingsSource } from '#ports/findings';
import { withRetry } from '#shared/runtime/retry';

/** Options of the GuardDuty findings source. */
export interface GuardDutyFindingsOptions {
  readonly client: GuardDutyClient;
  /** Attempts per request when GuardDuty throttles or fails on its side, the first one included. Default 5. */
  readonly maxAttempts?: number;
  /** Injected so tests never wait between attempts. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** ListFindings and GetFindings both take at most 50 (MaxResults, FindingIds). */
export const FINDINGS_PAGE_SIZE = 50;

// GuardDuty models no throttling error: API Gateway-style 429s arrive under these codes.
const THROTTLING_CODES = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling']);
const SERVER_ERROR = 'InternalServerErrorException';

/**
 * The findings of the Region's one GuardDuty detector (read once, then kept). `listUpdatedSince` asks
 * ListFindings for `updatedAt >= since` (epoch milliseconds) and `severity >= floor(minSeverity)`, sorted by
 * `updatedAt` ascending, 50 ids a page, and fetches each page with one GetFindings; findings come back in
 * the ListFindings order. Throttling and `InternalServerErrorException` are retried with backoff, then
 * ThrottledError / ServiceUnavailableError; no detector is TargetNotFoundError; anything else (such as
 * `AccessDeniedException`) propagates as the SDK raised it.
 */
export class GuardDutyFindings implements FindingsSource {
  readonly #client: GuardDutyClient;
  readonly #maxAttempts: number;
  readonly #sleep: ((ms: number) => Promise<void>) | undefined;
  #detectorId: string | undefined;

  constructor(options: GuardDutyFindingsOptions) {
    this.#client = options.client;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#sleep = options.sleep;
  }

  async *listUpdatedSince(since: Date, minSeverity: number): AsyncIterable<FindingDetail> {
    const DetectorId = await this.#detector();
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.#call('ListFindings', () =>
        this.#client.send(
          new ListFindingsCommand({
            DetectorId,
            FindingCriteria: {
              Criterion: {
                updatedAt: { GreaterThanOrEqual: since.getTime() },
                // Criterion values are whole numbers while severities are not: round down, intake decides.
                severity: { GreaterThanOrEqual: Math.floor(minSeverity) },
              },
            },
            SortCriteria: { AttributeName: 'updatedAt', OrderBy: 'ASC' },
            MaxResults: FINDINGS_PAGE_SIZE,
            NextToken: token,
          }),
        ),
      );
      const ids = page.FindingIds ?? [];
      for (let start = 0; start < ids.length; start += FINDINGS_PAGE_SIZE) {
        const chunk = ids.slice(start, start + FINDINGS_PAGE_SIZE);
        const { Findings } = await this.#call('GetFindings', () =>
          this.#client.send(new GetFindingsCommand({ DetectorId, FindingIds: chunk })),
        );
        // GetFindings does not promise the order of the ids asked for; the watermark needs ascending updatedAt.
        const byId = new Map((Findings ?? []).map((finding) => [finding.Id, finding]));
        for (const id of chunk) {
          const finding = byId.get(id);
          if (finding) yield toFindingDetail(finding);
        }
      }
      nextToken = page.NextToken || undefined;
    } while (nextToken);
  }

  /** The Region's detector id; GuardDuty allows one per account and Region. */
  async #detector(): Promise<string> {
    if (this.#detectorId) return this.#detectorId;
    const { DetectorIds } = await this.#call('ListDetectors', () =>
      this.#client.send(new ListDetectorsCommand({ MaxResults: 50 })),
    );
    const [first] = DetectorIds ?? [];
    if (!first) {
      throw new TargetNotFoundError(
        'GuardDuty has no detector in this Region: enable GuardDuty here, or the catch-up has nothing to read',
        'ResourceNotFoundException',
      );
    }
    this.#detectorId = first;
    return first;
  }

  async #call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(send, {
        attempts: this.#maxAttempts,
        baseDelayMs: 200,
        maxDelayMs: 5_000,
        isRetryable: (error) => isThrottling(error) || awsErrorCode(error) === SERVER_ERROR,
        sleep: this.#sleep,
      });
    } catch (error) {
      const code = awsErrorCode(error) ?? '';
      if (isThrottling(error)) {
        throw new ThrottledError(
          `GuardDuty throttled ${operation} ${this.#maxAttempts} times in a row`,
          code || 'TooManyRequestsException',
          { cause: error },
        );
      }
      if (code === SERVER_ERROR) {
        throw new ServiceUnavailableError(
          `GuardDuty failed ${operation} ${this.#maxAttempts} times in a row`,
          code,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

function isThrottling(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return THROTTLING_CODES.has(awsErrorCode(error) ?? '') || status === 429;
}

/**
 * JSON names that are not the member name with its first letter lowered, by `<containing member>><member>`
 * (every one reachable from `Finding` in the GuardDuty model; the containing member tells apart shapes that
 * share a member name, such as `Account.Name` and `Container.Name`).
 */
const WIRE_NAMES: Readonly<Record<string, string>> = {
  'ProductCodes>Code': 'productCodeId',
  'ProductCodes>ProductType': 'productCodeType',
  'TaskDetails>TaskCreatedAt': 'createdAt',
  'KubernetesApiCallAction>SourceIps': 'sourceIPs',
  'Location>Latitude': 'lat',
  'Location>Longitude': 'lon',
  'Account>Name': 'account',
  'KubernetesWorkload>KubernetesResourcesTypes': 'type',
  // No JSON name in the model: the wire keeps the member name.
  'RdsLoginAttemptAction>LoginAttributes': 'LoginAttributes',
  'Ec2Instance>IamInstanceProfile': 'IamInstanceProfile',
};

/** Members that are maps, by `<containing member>><member>`, with how many levels of keys are data, not names. */
const MAP_MEMBERS: Readonly<Record<string, number>> = {
  'AwsApiCallAction>AffectedResources': 1,
  'Anomaly>Profiles': 2,
  'Unusual>Behavior': 2,
};

/** The JSON name of `member` inside the member `container`. */
export function wireName(container: string, member: string): string {
  return WIRE_NAMES[`${container}>${member}`] ?? member.charAt(0).toLowerCase() + member.slice(1);
}

/**
 * A finding as the SDK returns it (PascalCase members, timestamps as Date) in the shape of an EventBridge
 * `GuardDuty Finding` detail: the JSON names (see {@link wireName}), timestamps in epoch seconds as the JSON
 * carries them, map keys untouched, and `service.additionalInfo` as the object EventBridge delivers rather
 * than the API's `{Value: "<JSON text>", Type}` (sample findings say `sample: true` only in there).
 */
export function toFindingDetail(finding: Finding): FindingDetail {
  return toWire(finding, 'Finding', 0) as FindingDetail;
}

function toWire(value: unknown, member: string, mapLevels: number): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map((element) => toWire(element, member, mapLevels));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([, element]) => element !== undefined);
  if (mapLevels > 0) {
    return Object.fromEntries(entries.map(([key, element]) => [key, toWire(element, member, mapLevels - 1)]));
  }
  return Object.fromEntries(
    entries.map(([key, element]) => {
      const context = `${member}>${key}`;
      if (context === 'Service>AdditionalInfo') return ['additionalInfo', additionalInfo(element)];
      return [wireName(member, key), toWire(element, key, MAP_MEMBERS[context] ?? 0)];
    }),
  );
}

/** The free-form object in `AdditionalInfo.Value`; the API's own shape when that is not a JSON object. */
function additionalInfo(info: unknown): unknown {
  const { Value, Type } = info as { Value?: string; Type?: string };
  if (Value !== undefined) {
    try {
      const parsed: unknown = JSON.parse(Value);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
    } catch {
      // Not JSON: passed on as GuardDuty gave it.
    }
  }
  return toWire({ Value, Type }, 'AdditionalInfo', 0);
}
