// Owns the Stripe endpoints the fixture answers itself: matching a request to one and running it on the state.
import type { StripeFault } from './faults';
import type { Intents } from './intents';
import type { Ledger } from './ledger';
import { listIntents, listRefunds, searchIntents } from './lists';
import { createRefund, retrieveRefund } from './refunds';
import { invalidRequest, type Params, type Reply } from './wire';

export type Route =
  | { name: 'createIntent' | 'listIntents' | 'searchIntents' | 'createRefund' | 'listRefunds' }
  | { name: 'retrieveIntent' | 'cancelIntent' | 'confirmIntent' | 'retrieveRefund'; id: string };

/** The endpoint a request is for; undefined for anything else, which stripe-mock answers alone. */
export function matchRoute(method: string, path: string): Route | undefined {
  if (path === '/v1/payment_intents') {
    if (method === 'POST') return { name: 'createIntent' };
    if (method === 'GET') return { name: 'listIntents' };
  }
  if (path === '/v1/payment_intents/search' && method === 'GET') return { name: 'searchIntents' };
  const intent = path.match(/^\/v1\/payment_intents\/([^/]+)(?:\/(cancel|confirm))?$/);
  if (intent?.[1]) {
    const id = decodeURIComponent(intent[1]);
    if (method === 'GET' && !intent[2]) return { name: 'retrieveIntent', id };
    if (method === 'POST' && intent[2] === 'cancel') return { name: 'cancelIntent', id };
    if (method === 'POST' && intent[2] === 'confirm') return { name: 'confirmIntent', id };
  }
  if (path === '/v1/refunds') {
    if (method === 'POST') return { name: 'createRefund' };
    if (method === 'GET') return { name: 'listRefunds' };
  }
  const refund = path.match(/^\/v1\/refunds\/([^/]+)$/);
  if (refund?.[1] && method === 'GET') return { name: 'retrieveRefund', id: decodeURIComponent(refund[1]) };
  return undefined;
}

/**
 * The payment method whose money a request moves, which selects its fault. Undefined for reads and
 * cancels, so faults never touch them and reconciliation always sees the truth.
 */
export function paymentMethodOf(ledger: Ledger, route: Route, params: Params): string | undefined {
  if (route.name === 'createIntent' && typeof params.payment_method === 'string')
    return params.payment_method;
  if (route.name === 'confirmIntent') {
    if (typeof params.payment_method === 'string') return params.payment_method;
    const method = ledger.intents.get(route.id)?.intent.payment_method;
    return typeof method === 'string' ? method : undefined;
  }
  if (route.name === 'createRefund') {
    const method = ledger.intentForRefund(params)?.intent.payment_method;
    return typeof method === 'string' ? method : undefined;
  }
  return undefined;
}

/** Valid Stripe parameters the fixture does not model; rejected before execution, so nothing is stored. */
export function unsupported(route: Route, params: Params): Reply | undefined {
  if (
    route.name === 'createIntent' &&
    params.capture_method !== undefined &&
    params.capture_method !== 'automatic'
  ) {
    return invalidRequest(400, 'stripe fixture: only capture_method=automatic is supported', {
      param: 'capture_method',
    });
  }
  return undefined;
}

/** Runs a validated request; `template` is stripe-mock's answer, the shape new objects start from. */
export function executeRoute(
  state: { ledger: Ledger; intents: Intents },
  route: Route,
  params: Params,
  template: Params,
  fault: StripeFault | undefined,
): Promise<Reply> | Reply {
  const { ledger, intents } = state;
  switch (route.name) {
    case 'createIntent':
      return intents.create(params, template, fault);
    case 'confirmIntent':
      return intents.confirm(route.id, params, fault);
    case 'listIntents':
      return listIntents(ledger, params);
    case 'searchIntents':
      return searchIntents(ledger, params);
    case 'retrieveIntent':
      return intents.retrieve(route.id);
    case 'cancelIntent':
      return intents.cancel(route.id, params);
    case 'createRefund':
      return createRefund(ledger, params, template);
    case 'listRefunds':
      return listRefunds(ledger, params);
    case 'retrieveRefund':
      return retrieveRefund(ledger, route.id);
  }
}
