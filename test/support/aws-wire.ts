/**
 * A loopback HTTP server that speaks the AWS JSON protocol (1.0 or 1.1): `POST /` with
 * `X-Amz-Target: <prefix>.<Operation>` and a JSON body. Real SDK clients pointed at it serialize, sign and
 * parse exactly as they do against AWS, so a test sees what goes over the wire, not what a mocked `send()`
 * was given. Answers come from one handler per operation; a handler throws {@link AwsWireError} for an
 * AWS error response.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the server received, as it came over the wire. */
export interface WireRequest {
  /** `X-Amz-Target` without the service prefix, such as `ListFirewallDomains`. */
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  /** Header names are lowercase. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, parsed as JSON. */
  readonly body: unknown;
}

/** Answers one operation: returns the JSON body of a 200 response, or throws {@link AwsWireError}. */
// biome-ignore lint/suspicious/noExplicitAny: handlers read the body fields of their own operation.
export type WireHandler = (body: any, request: WireRequest) => unknown;

/** An AWS error response: `{"__type": type, "message": message}` with an HTTP status (400 unless told). */
export class AwsWireError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'AwsWireError';
  }
}

/** What the server speaks. */
export interface AwsWireOptions {
  /** The `X-Amz-Target` prefix: `Route53Resolver`, `NetworkFirewall_20201112`. */
  readonly targetPrefix: string;
  /** `1.0` or `1.1`: the `application/x-amz-json-<version>` content type of requests and responses. */
  readonly jsonVersion: '1.0' | '1.1';
  readonly handlers: Readonly<Record<string, WireHandler>>;
}

/** A running server: point a client at `endpoint`, read `requests`, then `close()`. */
export interface AwsWireServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Every request received, in order, including refused ones. */
  readonly requests: WireRequest[];
  /** The operations of `requests`, in order. */
  operations(): string[];
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 with a port the system picks. */
export async function startAwsWireServer(options: AwsWireOptions): Promise<AwsWireServer> {
  const requests: WireRequest[] = [];
  const contentType = `application/x-amz-json-${options.jsonVersion}`;
  const server = createServer((incoming, response) => {
    void answer(incoming, response);
  });

  async function answer(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(
      Object.entries(incoming.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(',') : (value ?? ''),
      ]),
    );
    const target = headers['x-amz-target'] ?? '';
    const prefix = `${options.targetPrefix}.`;
    const operation = target.startsWith(prefix) ? target.slice(prefix.length) : target;
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    const request: WireRequest = {
      operation,
      method: incoming.method ?? '',
      path: incoming.url ?? '',
      headers,
      body,
    };
    requests.push(request);
    const reply = (status: number, payload: unknown) => {
      response.writeHead(status, {
        'content-type': contentType,
        'x-amzn-requestid': `wire-${requests.length}`,
      });
      response.end(JSON.stringify(payload));
    };
    const handler = options.handlers[operation];
    // A request the real service would refuse is refused here too, so a serialization change cannot pass.
    if (request.method !== 'POST' || request.path !== '/' || !target.startsWith(prefix) || !handler) {
      reply(400, {
        __type: 'UnknownOperationException',
        message: `no route for ${request.method} ${target}`,
      });
      return;
    }
    if (headers['content-type'] !== contentType) {
      reply(400, { __type: 'SerializationException', message: `content-type ${headers['content-type']}` });
      return;
    }
    try {
      reply(200, handler(body, request) ?? {});
    } catch (error) {
      // A defect in a handler still gets an answer, so the test fails on it instead of hanging.
      if (error instanceof AwsWireError) reply(error.status, { __type: error.type, message: error.message });
      else reply(500, { __type: 'InternalFailure', message: String(error) });
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    operations: () => requests.map((request) => request.operation),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * The credential scope of a SigV4 `Authorization` header (`<date>/<region>/<service>/aws4_request`), or
 * undefined when the header is not SigV4.
 */
export function sigV4CredentialScope(authorization: string | undefined): string | undefined {
  const match =
    /^AWS4-HMAC-SHA256 Credential=[^/]+\/([^,]+), SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.exec(
      authorization ?? '',
    );
  return match?.[1];
}
