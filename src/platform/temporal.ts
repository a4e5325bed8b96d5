// Owns how a process reaches Temporal: the same options for a dev server, a cluster or Temporal Cloud.
import { Client, Connection } from '@temporalio/client';
import type { Config } from './config';

export function temporalConnectionOptions(config: Config['temporal']) {
  return {
    address: config.address,
    tls: config.tls ? {} : undefined,
    apiKey: config.apiKey,
  };
}

export async function connectTemporalClient(config: Config['temporal']): Promise<Client> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: '5s' });
  return new Client({ connection, namespace: config.namespace });
}
