// Owns reading many records at once: Stripe's paginated lists and the PaymentIntent search query language.
import type { Ledger } from './ledger';
import { invalidRequest, type Params, type Reply } from './wire';

/** `GET /v1/payment_intents`, filtered by `created` (a value or a range) and `customer`. */
export function listIntents(ledger: Ledger, params: Params): Reply {
  const created = params.created;
  const range: Params =
    created === undefined ? {} : typeof created === 'object' ? (created as Params) : { eq: created };
  const within = (value: number) =>
    (range.eq === undefined || value === Number(range.eq)) &&
    (range.gte === undefined || value >= Number(range.gte)) &&
    (range.gt === undefined || value > Number(range.gt)) &&
    (range.lte === undefined || value <= Number(range.lte)) &&
    (range.lt === undefined || value < Number(range.lt));
  const matching = [...ledger.intents.values()]
    .map((record) => record.intent)
    .filter(
      (intent) =>
        within(intent.created) && (params.customer === undefined || intent.customer === params.customer),
    );
  return { status: 200, body: listOf('/v1/payment_intents', ledger.newestFirst(matching), params) };
}

/** `GET /v1/refunds`, filtered by `payment_intent` and `charge`. */
export function listRefunds(ledger: Ledger, params: Params): Reply {
  const matching = [...ledger.refunds.values()].filter(
    (refund) =>
      (!params.payment_intent || refund.payment_intent === params.payment_intent) &&
      (!params.charge || refund.charge === params.charge),
  );
  return { status: 200, body: listOf('/v1/refunds', ledger.newestFirst(matching), params) };
}

/** Stripe's search query language, restricted to `field:'value'` clauses joined by AND. */
export function searchIntents(ledger: Ledger, params: Params): Reply {
  const clauses = String(params.query ?? '')
    .split(/\s+AND\s+/)
    .map((clause) =>
      clause.trim().match(/^(metadata\[['"]([^'"]+)['"]\]|status|currency|amount):['"]?([^'"]*)['"]?$/),
    );
  if (clauses.length === 0 || clauses.some((clause) => clause === null)) {
    return invalidRequest(400, "stripe fixture: search supports only field:'value' clauses joined by AND", {
      param: 'query',
    });
  }
  const matches = [...ledger.intents.values()]
    .map((record) => record.intent)
    .filter((intent) =>
      clauses.every((clause) => {
        const [, field, metadataKey, value] = clause as RegExpMatchArray;
        if (metadataKey) return intent.metadata[metadataKey] === value;
        return String(intent[field as 'status' | 'currency' | 'amount']) === value;
      }),
    );
  const limit = clampLimit(params.limit);
  // Stripe's `next_page` is an opaque cursor handed back as `page`; here it is the offset of the next page.
  const offset = typeof params.page === 'string' ? Number(params.page.replace(/^page_/, '')) || 0 : 0;
  const more = matches.length > offset + limit;
  return {
    status: 200,
    body: {
      object: 'search_result',
      data: ledger.newestFirst(matches).slice(offset, offset + limit),
      has_more: more,
      next_page: more ? `page_${offset + limit}` : null,
      url: '/v1/payment_intents/search',
    },
  };
}

/** One page of a newest-first list, after `starting_after` or before `ending_before`. */
function listOf<T extends { id: string }>(path: string, items: T[], params: Params) {
  let start = 0;
  if (typeof params.starting_after === 'string') {
    start = items.findIndex((item) => item.id === params.starting_after) + 1;
  }
  let end = items.length;
  if (typeof params.ending_before === 'string') {
    end = Math.max(
      items.findIndex((item) => item.id === params.ending_before),
      0,
    );
  }
  const limit = clampLimit(params.limit);
  const page =
    typeof params.ending_before === 'string'
      ? items.slice(Math.max(end - limit, 0), end)
      : items.slice(start, start + limit);
  const hasMore = typeof params.ending_before === 'string' ? end - limit > 0 : start + limit < items.length;
  return { object: 'list', data: page, has_more: hasMore, url: path };
}

function clampLimit(value: unknown): number {
  const limit = value === undefined ? 10 : Number(value);
  return Number.isInteger(limit) ? Math.min(Math.max(limit, 1), 100) : 10;
}
