// Owns the services every integration suite shares, started once per `vitest run`: a Temporal dev
// server (through @temporalio/testing, existing-path executable), stripe-mock with the fault-injecting
// Stripe fixture in front of it, the test database and a prebuilt workflow bundle. Suites read their
// addresses with inject().
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { migrate } from '../db/migrate';
import { projectRoot } from '../scripts/lib/binaries';
import { freePort } from '../scripts/lib/ports';
import { checkPostgres, checkRedis, ensureDatabase } from '../scripts/lib/preflight';
import { startStripeFixture } from '../scripts/lib/stripe-fixture';
import { startStripeMock } from '../scripts/lib/stripe-mock';
import { startTemporalServer } from '../scripts/lib/temporal-server';
import { workflowInterceptorModules, workflowsEntry } from '../workers/bundle';
import { testDatabaseUrl, testRedisUrl } from './helpers/urls';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** The Temporal server's own Prometheus metrics (task backlogs). */
    temporalMetricsUrl: string;
    stripeMockUrl: string;
    /** The fault-injecting Stripe fixture in front of stripe-mock: point STRIPE_API_URL here. */
    stripeApiUrl: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const log = (line: string) => process.stderr.write(`[test setup] ${line}\n`);
  await checkPostgres(testDatabaseUrl);
  await checkRedis(testRedisUrl);
  await ensureDatabase(testDatabaseUrl);
  await migrate(testDatabaseUrl);

  const temporalMetricsPort = await freePort();
  const [temporal, stripeMock, workflowBundlePath] = await Promise.all([
    startTemporalServer({ log, serverLogLevel: 'error', metricsPort: temporalMetricsPort }),
    startStripeMock({ log }),
    bundleWorkflows(),
  ]);
  project.provide('temporalAddress', temporal.address);
  project.provide('temporalMetricsUrl', `http://127.0.0.1:${temporalMetricsPort}/metrics`);
  const stripeFixture = await startStripeFixture({ upstreamUrl: stripeMock.url });
  project.provide('stripeMockUrl', stripeMock.url);
  project.provide('stripeApiUrl', stripeFixture.url);
  project.provide('workflowBundlePath', workflowBundlePath);

  return async function teardown() {
    await stripeFixture.stop();
    await Promise.allSettled([temporal.teardown(), stripeMock.stop()]);
  };
}

async function bundleWorkflows(): Promise<string> {
  // What the production worker bundles (workers/bundle.ts): the replay test replays against this code.
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowsEntry,
    workflowInterceptorModules,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  const dir = join(projectRoot, '.cache', 'test');
  mkdirSync(dir, { recursive: true });
  // One file per run: two runs side by side (a developer's and CI's) must not overwrite each other's bundle.
  const path = join(dir, `workflow-bundle-${process.pid}.js`);
  writeFileSync(path, code);
  return path;
}
