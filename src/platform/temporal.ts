// Owns how a process reaches Temporal: the same options for a dev server, a cluster or Temporal Cloud.
import { Client, Connection } from '@temporalio/client';
import type { Config } from './config';
import { temporalClientInterceptors } from './telemetry';

export function temporalConnectionOptions(config: Config['temporal']) {
  return {
    address: config.address,
    tls: config.tls ? {} : undefined,
    apiKey: config.apiKey,
  };
}

export async function connectTemporalClient(config: Config['temporal']): Promise<Client> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: '5s' });
  // While this process traces, every start, update, signal and query carries the caller's trace.
  return new Client({ connection, namespace: config.namespace, interceptors: temporalClientInterceptors() });
}
