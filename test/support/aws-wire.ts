/**
 * Loopback HTTP servers that speak an AWS protocol: the JSON protocol (1.0 or 1.1: `POST /` with
 * `X-Amz-Target: <prefix>.<Operation>` and a JSON body) and EC2's query protocol (`POST /` with a form body
 * `Action=<Operation>&Version=2016-11-15&…`, XML responses). Real SDK clients pointed at one serialize, sign
 * and parse exactly as they do against AWS, so a test sees what goes over the wire, not what a mocked `send()`
 * was given. Answers come from one handler per operation; a handler throws {@link AwsWireError} for an AWS
 * error response.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the server received, as it came over the wire. */
export interface WireRequest {
  /**
   * `X-Amz-Target` without the service prefix, such as `ListFirewallDomains`, or the `Action` of a query
   * request, such as `DescribeNetworkAcls`.
   */
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  /** Header names are lowercase. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, parsed as JSON, or the form fields of a query request ({@link QueryForm}). */
  readonly body: unknown;
}

/** Answers one operation: returns the JSON body of a 200 response, or throws {@link AwsWireError}. */
// biome-ignore lint/suspicious/noExplicitAny: handlers read the body fields of their own operation.
export type WireHandler = (body: any, request: WireRequest) => unknown;

/**
 * An AWS error response with an HTTP status (400 unless told): `{"__type": type, "message": message}` in JSON,
 * `<Error><Code>type</Code><Message>message</Message></Error>` from an EC2 server.
 */
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

/** What an AWS JSON server speaks. */
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

/** A reply the protocol of a server builds: status, content type, body text. */
interface WireReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What one protocol does with a request: names its operation, parses its body, answers it. */
interface WireProtocol {
  operationOf(headers: Readonly<Record<string, string>>, body: string): string;
  parse(body: string): unknown;
  /** `requestId` is `wire-<n>`, n counting every request received so far. */
  answer(request: WireRequest, requestId: string): WireReply;
}

/** Starts an AWS JSON server on 127.0.0.1 with a port the system picks. */
export async function startAwsWireServer(options: AwsWireOptions): Promise<AwsWireServer> {
  const contentType = `application/x-amz-json-${options.jsonVersion}`;
  const prefix = `${options.targetPrefix}.`;
  const json = (status: number, payload: unknown, requestId: string): WireReply => ({
    status,
    contentType,
    body: JSON.stringify(payload),
    headers: { 'x-amzn-requestid': requestId },
  });
  return listen({
    operationOf: (headers) => {
      const target = headers['x-amz-target'] ?? '';
      return target.startsWith(prefix) ? target.slice(prefix.length) : target;
    },
    parse: (text) => {
      try {
        return text === '' ? undefined : JSON.parse(text);
      } catch {
        return text;
      }
    },
    answer: (request, requestId) => {
      const target = request.headers['x-amz-target'] ?? '';
      const handler = options.handlers[request.operation];
      // A request the real service would refuse is refused here too, so a serialization change cannot pass.
      if (request.method !== 'POST' || request.path !== '/' || !target.startsWith(prefix) || !handler) {
        const message = `no route for ${request.method} ${target}`;
        return json(400, { __type: 'UnknownOperationException', message }, requestId);
      }
      if (request.headers['content-type'] !== contentType) {
        const message = `content-type ${request.headers['content-type']}`;
        return json(400, { __type: 'SerializationException', message }, requestId);
      }
      try {
        return json(200, handler(request.body, request) ?? {}, requestId);
      } catch (error) {
        // A defect in a handler still gets an answer, so the test fails on it instead of hanging.
        if (error instanceof AwsWireError) {
          return json(error.status, { __type: error.type, message: error.message }, requestId);
        }
        return json(500, { __type: 'InternalFailure', message: String(error) }, requestId);
      }
    },
  });
}

/** The API version every EC2 query request names, and the namespace of every EC2 response. */
export const EC2_API_VERSION = '2016-11-15';

/** The form fields of one EC2 query request, `Filter.1.Value.1` style keys, decoded. */
export type QueryForm = Readonly<Record<string, string>>;

/**
 * The content of an EC2 XML response element: a string, number or boolean is text; an array is a list whose
 * members are `<item>` elements (EC2 wraps every list so); an object holds child elements in key order; an
 * undefined member is left out.
 */
export type XmlValue = string | number | boolean | undefined | readonly XmlValue[] | XmlFields;

/** Child elements by name, such as `{ networkAclId: 'acl-1', entrySet: [...] }`. */
export interface XmlFields {
  readonly [element: string]: XmlValue;
}

/**
 * Answers one EC2 operation: returns the children of `<<Action>Response>` after `<requestId>` (operations
 * without output, such as CreateNetworkAclEntry, answer `{ return: true }` as EC2 does), or throws
 * {@link AwsWireError} with the EC2 error code as its type.
 */
export type Ec2WireHandler = (form: QueryForm, request: WireRequest) => XmlFields;

/** What an EC2 query server answers. */
export interface Ec2WireOptions {
  readonly handlers: Readonly<Record<string, Ec2WireHandler>>;
}

// Shapes from boto/botocore `botocore/data/ec2/2016-11-15/service-2.json` (metadata: protocol ec2,
// apiVersion 2016-11-15, xmlNamespace http://ec2.amazonaws.com/doc/2016-11-15, endpointPrefix ec2, sigv4):
// request members go on the form under their locationName capitalised (botocore's ec2 serializer; the SDK's
// ec2QueryName trait: `networkAclId` → `NetworkAclId`, `Filters` → `Filter`, `Values` → `Value`, `portRange` →
// `PortRange.From`), every list flattened (`Filter.1.Value.1`); responses are XML under their lowercase
// locationName with lists as `<item>` members (`networkAclSet`, `entrySet`, `vpcSet`). Errors are HTTP 400
// (503 for RequestLimitExceeded) with `<Response><Errors><Error><Code>`. Example payloads: botocore
// `botocore/data/ec2/2016-11-15/examples-1.json` (DescribeNetworkAcls, Create/Replace/DeleteNetworkAclEntry).
const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded(?:; ?charset=utf-8)?$/i;
const XML_CONTENT_TYPE = 'text/xml;charset=UTF-8';

/** Starts an EC2 query server on 127.0.0.1 with a port the system picks. */
export async function startEc2WireServer(options: Ec2WireOptions): Promise<AwsWireServer> {
  const xml = (status: number, body: string): WireReply => ({
    status,
    contentType: XML_CONTENT_TYPE,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  });
  const error = (code: string, message: string, requestId: string, status = 400) =>
    xml(
      status,
      `<Response>${xmlElement('Errors', { Error: { Code: code, Message: message } })}${xmlElement(
        'RequestID',
        requestId,
      )}</Response>`,
    );
  return listen({
    operationOf: (_headers, body) => new URLSearchParams(body).get('Action') ?? '',
    parse: (text) => Object.fromEntries(new URLSearchParams(text)),
    answer: (request, requestId) => {
      const form = request.body as QueryForm;
      const handler = options.handlers[request.operation];
      // A request EC2 would refuse is refused here too, so a serialization change cannot pass.
      if (request.method !== 'POST' || request.path !== '/' || !handler) {
        return error('InvalidAction', `no route for ${request.method} ${request.operation}`, requestId);
      }
      if (!FORM_CONTENT_TYPE.test(request.headers['content-type'] ?? '')) {
        return error('InvalidParameterValue', `content-type ${request.headers['content-type']}`, requestId);
      }
      if (form.Version !== EC2_API_VERSION) {
        return error('InvalidParameterValue', `Version ${form.Version}`, requestId);
      }
      try {
        const fields = handler(form, request);
        const root = `${request.operation}Response`;
        const namespace = `http://ec2.amazonaws.com/doc/${EC2_API_VERSION}/`;
        const children = xmlChildren({ requestId, ...fields });
        return xml(200, `<${root} xmlns="${namespace}">${children}</${root}>`);
      } catch (caught) {
        // A defect in a handler still gets an answer, so the test fails on it instead of hanging.
        if (caught instanceof AwsWireError)
          return error(caught.type, caught.message, requestId, caught.status);
        return error('InternalError', String(caught), requestId, 500);
      }
    },
  });
}

/** The values of a flattened query list, `<prefix>.1`, `<prefix>.2`, … in order, up to the first gap. */
export function queryList(form: QueryForm, prefix: string): string[] {
  const values: string[] = [];
  for (let index = 1; form[`${prefix}.${index}`] !== undefined; index++) {
    values.push(form[`${prefix}.${index}`] as string);
  }
  return values;
}

/** The `Filter.N.Name` / `Filter.N.Value.M` filters of an EC2 Describe request, in order. */
export function queryFilters(form: QueryForm): { name: string; values: string[] }[] {
  const filters: { name: string; values: string[] }[] = [];
  for (let index = 1; form[`Filter.${index}.Name`] !== undefined; index++) {
    filters.push({
      name: form[`Filter.${index}.Name`] as string,
      values: queryList(form, `Filter.${index}.Value`),
    });
  }
  return filters;
}

function xmlChildren(fields: XmlFields): string {
  return Object.entries(fields)
    .map(([name, value]) => xmlElement(name, value))
    .join('');
}

function xmlElement(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value))
    return `<${name}>${value.map((item) => xmlElement('item', item)).join('')}</${name}>`;
  if (typeof value === 'object') return `<${name}>${xmlChildren(value as XmlFields)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[char] as string,
  );
}

/** Runs one server: reads each request whole, records it, and writes the protocol's answer. */
async function listen(protocol: WireProtocol): Promise<AwsWireServer> {
  const requests: WireRequest[] = [];
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
    const request: WireRequest = {
      operation: protocol.operationOf(headers, text),
      method: incoming.method ?? '',
      path: incoming.url ?? '',
      headers,
      body: protocol.parse(text),
    };
    requests.push(request);
    const reply = protocol.answer(request, `wire-${requests.length}`);
    response.writeHead(reply.status, { 'content-type': reply.contentType, ...reply.headers });
    response.end(reply.body);
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
