/** An in-process DynamoDB (dynalite) for adapter tests: no Docker, no network beyond loopback. */

import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createTableInput } from '#adapters/aws/decision-table';
import { createDetectorTableInput } from '#adapters/aws/detector-table';

type DynaliteFactory = (options: {
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}) => Server;

// dynalite is CommonJS without type declarations.
const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;

/** A running dynalite with clients pointed at it. */
export interface Dynalite {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /**
   * A document client with default marshalling, which refuses undefined values: the decision store promises
   * to drop them itself, and a forgiving client here would hide it if it stopped doing so.
   */
  readonly doc: DynamoDBDocumentClient;
  /** Creates a decision table (from decision-table.ts) under a fresh name unless one is given; returns the name. */
  createTable(name?: string): Promise<string>;
  /** Creates a detector state table (from detector-table.ts) under a fresh name; returns the name. */
  createDetectorTable(): Promise<string>;
  stop(): Promise<void>;
}

let tables = 0;

/** Starts dynalite on 127.0.0.1 on a free port; `createTable` returns once the table is ACTIVE. */
export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // Requests still being answered: a test may end while a request it started (a parallel write of an
  // invocation that already failed) is still running, and stopping under it closes the database mid-request.
  let answering = 0;
  let drained: (() => void) | undefined;
  server.on('request', (_request, response) => {
    answering++;
    response.once('close', () => {
      answering--;
      if (answering === 0) drained?.();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const doc = DynamoDBDocumentClient.from(client);
  const create = async (input: CreateTableCommandInput): Promise<string> => {
    const name = input.TableName ?? '';
    await client.send(new CreateTableCommand(input));
    // dynalite answers CREATING and turns the table ACTIVE on a later tick; until then every request gets
    // ResourceNotFoundException. Each DescribeTable round trip lets that tick run, so no timer is needed.
    for (let check = 1; check <= 100; check++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      if (Table?.TableStatus === 'ACTIVE') return name;
    }
    throw new Error(`dynalite table ${name} is still not ACTIVE`);
  };
  return {
    endpoint,
    client,
    doc,
    createTable: (name = `decisions-${++tables}`) => create(createTableInput(name)),
    createDetectorTable: () => create(createDetectorTableInput(`detector-state-${++tables}`)),
    async stop() {
      if (answering > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, 5_000).unref();
        });
      }
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/**
 * One dynalite for the calling test file: started before its tests and stopped after them. The value returned
 * stands for it from the file's top level on, and may be used once the tests (or their hooks) run.
 */
export function useDynalite(): Dynalite {
  let started: Dynalite | undefined;
  beforeAll(async () => {
    started = await startDynalite();
  });
  afterAll(async () => {
    await started?.stop();
  });
  const current = (): Dynalite => {
    if (!started) throw new Error('dynalite is not running: use it inside a test or a hook');
    return started;
  };
  return {
    get endpoint() {
      return current().endpoint;
    },
    get client() {
      return current().client;
    },
    get doc() {
      return current().doc;
    },
    createTable: (name) => current().createTable(name),
    createDetectorTable: () => current().createDetectorTable(),
    stop: () => current().stop(),
  };
}
