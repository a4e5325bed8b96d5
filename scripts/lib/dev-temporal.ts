// Owns the dev stack's side of Temporal: the `temporal server start-dev` command line (persisted SQLite,
// Web UI, Boxoffice's search attributes and dynamic config), waiting until it answers, registering
// search attributes a persisted database is missing, and telling when a worker polls its queues.
import { Connection } from '@temporalio/client';
import { type SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import {
  encodeSearchAttributeIndexedValueType,
  type SearchAttributeKey,
} from '@temporalio/common/lib/search-attributes';
import { tsToMs } from '@temporalio/common/lib/time';
import { searchAttributeKeys } from '../../workflows/search-attributes';
import { temporalDynamicConfig } from './temporal-server';

export interface DevServerOptions {
  dbFilename: string;
  ip: string;
  port: number;
  uiPort: number;
  /** Where the server serves its Prometheus metrics (task backlogs, persistence latency); none when absent. */
  metricsPort?: number;
  namespace: string;
}

/**
 * What @temporalio/testing adds to every server it starts (updates on, no version check), so the dev
 * server behaves like the one the tests run against.
 */
export const testingServerDynamicConfig = [
  'frontend.enableServerVersionCheck=false',
  'frontend.enableUpdateWorkflowExecution=true',
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
];

/** Arguments for `temporal server start-dev`, the same server the tests start, persisted to a file. */
export function devServerArgs(options: DevServerOptions): string[] {
  return [
    'server',
    'start-dev',
    '--db-filename',
    options.dbFilename,
    '--ip',
    options.ip,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    ...(options.metricsPort === undefined ? [] : ['--metrics-port', String(options.metricsPort)]),
    // start-dev always creates `default`; another namespace from TEMPORAL_NAMESPACE is created too.
    ...(options.namespace === 'default' ? [] : ['--namespace', options.namespace]),
    // Registered only when the database file is new; ensureSearchAttributes covers older files.
    ...searchAttributeKeys.flatMap((key) => ['--search-attribute', searchAttributeFlag(key)]),
    ...[...testingServerDynamicConfig, ...temporalDynamicConfig].flatMap((setting) => [
      '--dynamic-config-value',
      setting,
    ]),
    // WAL, synced at checkpoints: a commit stops waiting on two fsyncs, which doubles the workflows/s
    // of the persisted server (bench/results/flash-sale-persisted*.md). A crash of the server loses
    // nothing; a power cut may lose the last commits, which a development server can afford.
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    // Its warnings while stopping are noise here; errors still show.
    '--log-format',
    'pretty',
    '--log-level',
    'error',
  ];
}

/** `Name=Type` as the Temporal CLI and docker-compose's registration job spell it. */
export function searchAttributeFlag(key: SearchAttributeKey<SearchAttributeType>): string {
  return `${key.name}=${TypedSearchAttributes.toMetadataType(key.type)}`;
}

/** Dials `address` until the frontend answers and `namespace` is usable, or `timeoutMs` passes. */
export async function waitForTemporal(
  address: string,
  namespace: string,
  timeoutMs: number,
): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: '2s' });
      await connection.workflowService.describeNamespace({ namespace });
      return connection;
    } catch (error) {
      lastError = error;
      await connection?.close().catch(() => {});
      await sleep(250);
    }
  }
  throw new Error(
    `Temporal did not answer at ${address} within ${timeoutMs / 1000} s: ${(lastError as Error)?.message}`,
  );
}

export interface SearchAttributePlan {
  missing: SearchAttributeKey<SearchAttributeType>[];
  /** Registered with another type: cannot be fixed in place. */
  conflicting: { name: string; registered: string; wanted: string }[];
}

/** Compares what a namespace has registered (name -> IndexedValueType) with what Boxoffice needs. */
export function planSearchAttributes(
  registered: Record<string, number | string>,
  wanted: SearchAttributeKey<SearchAttributeType>[] = searchAttributeKeys,
): SearchAttributePlan {
  const plan: SearchAttributePlan = { missing: [], conflicting: [] };
  for (const key of wanted) {
    const current = registered[key.name];
    if (current === undefined) {
      plan.missing.push(key);
      continue;
    }
    const expected = encodeSearchAttributeIndexedValueType(key.type);
    if (encodeSearchAttributeIndexedValueType(current as never) !== expected) {
      plan.conflicting.push({ name: key.name, registered: String(current), wanted: key.type });
    }
  }
  return plan;
}

/**
 * Registers the search attributes of workflows/search-attributes.ts that `namespace` lacks. The dev
 * server only registers `--search-attribute` flags when it creates its database, so a database from
 * an older checkout needs this. Returns the names it added.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const plan = planSearchAttributes((customAttributes ?? {}) as Record<string, number>);
  if (plan.conflicting.length > 0) {
    const list = plan.conflicting.map((c) => `${c.name} (wanted ${c.wanted})`).join(', ');
    throw new Error(
      `search attributes registered with another type in namespace ${namespace}: ${list}; delete .data/temporal.db to start Temporal afresh`,
    );
  }
  if (plan.missing.length === 0) return [];
  const searchAttributes: Record<string, number> = {};
  for (const key of plan.missing) {
    searchAttributes[key.name] = encodeSearchAttributeIndexedValueType(key.type) ?? 0;
  }
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  return plan.missing.map((key) => key.name);
}

/**
 * Waits until a worker that started after `since` polls the workflow tasks of `taskQueue` and the
 * activity tasks of `activityTaskQueue`. Pollers of an earlier run stay listed for minutes, hence
 * the time filter.
 */
export async function waitForWorkerPolling(
  connection: Connection,
  options: {
    namespace: string;
    taskQueue: string;
    activityTaskQueue: string;
    since: number;
    timeoutMs: number;
  },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const queues = [
    { name: options.taskQueue, type: 1 /* TASK_QUEUE_TYPE_WORKFLOW */ },
    { name: options.activityTaskQueue, type: 2 /* TASK_QUEUE_TYPE_ACTIVITY */ },
  ];
  while (Date.now() < deadline) {
    const polled = await Promise.all(
      queues.map(async (queue) => {
        const { pollers } = await connection.workflowService.describeTaskQueue({
          namespace: options.namespace,
          taskQueue: { name: queue.name },
          taskQueueType: queue.type,
        });
        return (pollers ?? []).some((poller) => tsToMs(poller.lastAccessTime) >= options.since);
      }),
    );
    if (polled.every(Boolean)) return;
    await sleep(500);
  }
  throw new Error(
    `no worker polled ${queues.map((q) => q.name).join(' and ')} within ${options.timeoutMs / 1000} s`,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
