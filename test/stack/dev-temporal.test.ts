// Checks how the dev stack starts and completes its Temporal server: the command line carries every
// search attribute and the dynamic config the tests use, and a persisted database that lacks
// attributes (or has one with another type) is told apart from one that is complete.
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { describe, expect, inject, it } from 'vitest';
import {
  devServerArgs,
  ensureSearchAttributes,
  planSearchAttributes,
  testingServerDynamicConfig,
} from '../../scripts/lib/dev-temporal';
import { temporalDynamicConfig } from '../../scripts/lib/temporal-server';
import { searchAttributeKeys } from '../../workflows/search-attributes';

const pairs = (args: string[], flag: string) =>
  args.flatMap((arg, i) => (arg === flag ? [args[i + 1] ?? ''] : []));

describe('devServerArgs', () => {
  const args = devServerArgs({
    dbFilename: '/tmp/x/temporal.db',
    ip: '127.0.0.1',
    port: 7233,
    uiPort: 8233,
    metricsPort: 9233,
    namespace: 'default',
  });

  it('persists to the given file and serves the UI and the metrics on their ports', () => {
    expect(args.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(pairs(args, '--db-filename')).toEqual(['/tmp/x/temporal.db']);
    expect(pairs(args, '--port')).toEqual(['7233']);
    expect(pairs(args, '--ui-port')).toEqual(['8233']);
    expect(pairs(args, '--metrics-port')).toEqual(['9233']);
    expect(args).not.toContain('--headless');
    expect(args).not.toContain('--namespace');
  });

  it('registers every search attribute of workflows/search-attributes.ts with its type', () => {
    expect(pairs(args, '--search-attribute')).toEqual([
      'EventId=Keyword',
      'BuyerId=Keyword',
      'ReservationStatus=Keyword',
      'PaymentIntentId=Keyword',
      'OrderId=Keyword',
      'SeatCount=Int',
      'HoldExpiresAt=Datetime',
      'OnsaleStatus=Keyword',
    ]);
    expect(pairs(args, '--search-attribute')).toHaveLength(searchAttributeKeys.length);
  });

  it('turns on Update-with-Start and everything else the test server gets', () => {
    expect(pairs(args, '--dynamic-config-value')).toEqual([
      ...testingServerDynamicConfig,
      ...temporalDynamicConfig,
    ]);
    expect(pairs(args, '--dynamic-config-value')).toContain('frontend.enableExecuteMultiOperation=true');
  });

  it('creates a namespace other than default when asked', () => {
    const custom = devServerArgs({ dbFilename: 'f', ip: '127.0.0.1', port: 1, uiPort: 2, namespace: 'box' });
    expect(pairs(custom, '--namespace')).toEqual(['box']);
  });
});

describe('planSearchAttributes', () => {
  it('asks for nothing when everything is registered with its type', () => {
    const registered = Object.fromEntries(
      searchAttributeKeys.map((key) => [key.name, `INDEXED_VALUE_TYPE_${key.type}`]),
    );
    expect(planSearchAttributes(registered)).toEqual({ missing: [], conflicting: [] });
  });

  it('lists what a database from an older checkout lacks', () => {
    const plan = planSearchAttributes({ EventId: 2, BuyerId: 2 });
    expect(plan.missing.map((key) => key.name)).toEqual([
      'ReservationStatus',
      'PaymentIntentId',
      'OrderId',
      'SeatCount',
      'HoldExpiresAt',
      'OnsaleStatus',
    ]);
    expect(plan.conflicting).toEqual([]);
  });

  it('flags an attribute registered with another type', () => {
    const plan = planSearchAttributes({ SeatCount: 2 /* KEYWORD */ }, [
      { name: 'SeatCount', type: SearchAttributeType.INT },
    ]);
    expect(plan).toEqual({
      missing: [],
      conflicting: [{ name: 'SeatCount', registered: '2', wanted: 'INT' }],
    });
  });
});

describe('ensureSearchAttributes on the test server', () => {
  it('finds every attribute registered and adds nothing', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      expect(await ensureSearchAttributes(connection, 'default')).toEqual([]);
    } finally {
      await connection.close();
    }
  });
});
