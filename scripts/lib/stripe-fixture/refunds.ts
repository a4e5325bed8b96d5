// Owns refunds: refunding a succeeded PaymentIntent up to what is left of its charge, and reading a refund back.
import type Stripe from 'stripe';
import type { Ledger } from './ledger';
import { invalidRequest, newId, nowSeconds, type Params, type Reply } from './wire';

export function createRefund(ledger: Ledger, params: Params, template: Params): Reply {
  const record = ledger.intentForRefund(params);
  if (!record) {
    const param = params.payment_intent ? 'payment_intent' : 'charge';
    return invalidRequest(400, `No such ${param}: '${String(params[param] ?? '')}'`, {
      code: 'resource_missing',
      param,
    });
  }
  const { intent } = record;
  if (intent.status !== 'succeeded') {
    return invalidRequest(
      400,
      `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
      {
        param: 'payment_intent',
      },
    );
  }
  const remaining = intent.amount_received - record.refunded;
  if (remaining <= 0) {
    return invalidRequest(400, `Charge ${intent.latest_charge} has already been refunded.`, {
      code: 'charge_already_refunded',
    });
  }
  const amount = params.amount === undefined ? remaining : Number(params.amount);
  if (amount > remaining) {
    return invalidRequest(
      400,
      `Refund amount (${money(amount, intent.currency)}) is greater than unrefunded amount on charge ` +
        `(${money(remaining, intent.currency)})`,
      { code: 'amount_too_large', param: 'amount' },
    );
  }
  record.refunded += amount;
  const refund = {
    ...template,
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: null,
    charge: intent.latest_charge,
    created: nowSeconds(),
    currency: intent.currency,
    metadata: (params.metadata as Record<string, string> | undefined) ?? {},
    payment_intent: intent.id,
    reason: params.reason ?? null,
    status: 'succeeded',
  } as unknown as Stripe.Refund;
  ledger.addRefund(refund);
  return { status: 200, body: refund };
}

export function retrieveRefund(ledger: Ledger, id: string): Reply {
  const refund = ledger.refunds.get(id);
  return refund
    ? { status: 200, body: refund }
    : invalidRequest(404, `No such refund: '${id}'`, { code: 'resource_missing', param: 'id' });
}

function money(amount: number, currency: string): string {
  return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
}
