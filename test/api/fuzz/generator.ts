// Owns the API fuzzer's requests: read from the OpenAPI document, for every operation, fast-check
// arbitraries of malformed requests (wrong types, empty and huge strings, control characters, odd
// unicode, deep or huge JSON, wrong or missing content type, missing, duplicated or oversized headers,
// bad tokens and valid tokens of every role), each with at least one part that no valid request has.
import fc from 'fast-check';
import {
  certainlyInvalid,
  exampleOf,
  type JsonSchema,
  numericInvalid,
  type Operation,
  type Parameter,
  schemaAt,
} from './document';
import {
  asHeaderValue,
  decodedAsServed,
  isObject,
  nastyStrings,
  pathsOf,
  percentEncoded,
  reaches,
  removed,
  valueAt,
  withValueAt,
  wrongTypes,
} from './values';

/** A request as the app receives it; `touched` names every part the fuzzer changed. */
export interface FuzzRequest {
  method: string;
  url: string;
  /** In order, repeats allowed: a duplicated header is sent twice. */
  headers: [string, string][];
  body?: string;
  touched: string[];
  /** What was done, for a failure's message. */
  mutations: string[];
  /** Some part is one no valid request has, so the request must be refused. */
  malformed: boolean;
}

/** Values a request starts from: real ids from the suite, tokens of each role. */
export interface Baseline {
  /** A valid value for a parameter of an operation (a real event, reservation, order...). */
  value(operation: Operation, parameter: string): string | undefined;
  /** Valid bearer tokens: one per role. */
  tokens: string[];
  /** Tokens that must be refused: wrong secret, expired, `alg: none`, unknown role... */
  badTokens: string[];
}

interface Draft {
  params: Map<string, { value: string; raw?: boolean }>;
  query: [string, string, boolean?][];
  headers: [string, string][];
  body?: { json: unknown } | { text: string };
  contentType?: string;
  touched: Set<string>;
  mutations: string[];
  /** At least one change makes the request invalid whatever the data behind it. */
  certain: boolean;
}

type Mutation = (draft: Draft) => void;

function parameterMutation(parameter: Parameter): fc.Arbitrary<Mutation> {
  const { name, schema } = parameter;
  const label = parameter.in === 'path' ? name : `${parameter.in} ${name}`;
  const invalid = (value: string) =>
    parameter.in === 'query' && [schema.type].flat().some((t) => t === 'integer' || t === 'number')
      ? numericInvalid(schema, value)
      : certainlyInvalid(schema, value);
  const setTo = nastyStrings.map(
    (raw): Mutation =>
      (draft) => {
        const value = parameter.in === 'header' ? asHeaderValue(raw) : raw;
        if (parameter.in === 'path') draft.params.set(name, { value });
        else if (parameter.in === 'query')
          draft.query = [...draft.query.filter(([n]) => n !== name), [name, value]];
        else draft.headers = [...draft.headers.filter(([n]) => n !== name), [name, value]];
        // In a URL, what the server reads: a lone surrogate's bytes do not decode and arrive as sent.
        const served = parameter.in === 'header' ? value : decodedAsServed(percentEncoded(value));
        note(draft, name, `${label} = ${JSON.stringify(value).slice(0, 80)}`, invalid(served));
      },
  );
  const variants: fc.Arbitrary<Mutation>[] = [setTo];
  if (parameter.in === 'path') {
    // Percent-escapes that do not decode (or decode to what Postgres refuses), sent as they are.
    variants.push(
      fc.constantFrom('%00', '%', '%zz', '%c0%af', '%ff', '%e2%80%ae', '..%2f..').map(
        (raw): Mutation =>
          (draft) => {
            draft.params.set(name, { value: raw, raw: true });
            note(draft, name, `${label} raw ${raw}`, invalid(decodedAsServed(raw)));
          },
      ),
    );
  }
  if (parameter.in === 'query') {
    variants.push(
      fc.tuple(nastyStrings, nastyStrings).map(
        ([a, b]): Mutation =>
          (draft) => {
            draft.query = [...draft.query.filter(([n]) => n !== name), [name, a], [name, b]];
            note(draft, name, `query ${name} twice`, true);
          },
      ),
      fc.constantFrom('%00', '%', '%zz', '%ff%fe').map(
        (raw): Mutation =>
          (draft) => {
            draft.query = [...draft.query.filter(([n]) => n !== name), [name, raw, true]];
            note(draft, name, `query ${name} raw ${raw}`, invalid(decodedAsServed(raw)));
          },
      ),
    );
  }
  if (parameter.in === 'header') {
    variants.push(
      fc.constant<Mutation>((draft) => {
        draft.headers = draft.headers.filter(([n]) => n !== name);
        note(draft, name, `header ${name} missing`, parameter.required);
      }),
      fc.constant<Mutation>((draft) => {
        const value = draft.headers.find(([n]) => n === name)?.[1] ?? 'x';
        draft.headers.push([name, value]);
        note(draft, name, `header ${name} twice`, false);
      }),
    );
  }
  return fc.oneof(...variants);
}

function bodyMutations(schema: JsonSchema): fc.MaybeWeightedArbitrary<Mutation>[] {
  const setBody =
    (body: Draft['body'], what: string, certain = true): Mutation =>
    (draft) => {
      draft.body = body;
      note(draft, 'body', what, certain);
    };
  const mutations: fc.MaybeWeightedArbitrary<Mutation>[] = [
    fc
      .constantFrom(
        '',
        '{',
        '{"a":',
        'nul',
        '\u0000',
        '{"a":1}}',
        "{'a':1}",
        '[1,]',
        '\ufeff{}',
        '{"__proto__":{"x":1}}',
      )
      .map((text) =>
        setBody(
          { text },
          `body text ${JSON.stringify(text)}`,
          text !== '{"__proto__":{"x":1}}' || schema.additionalProperties === false,
        ),
      ),
    fc
      .constantFrom<unknown>(null, [], 'text', 42, true, [{}])
      .map((json) => setBody({ json }, `body ${JSON.stringify(json)}`)),
    fc
      .integer({ min: 1000, max: 60_000 })
      .map((depth) =>
        setBody({ text: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` }, `body nested ${depth} deep`),
      ),
    fc
      .constantFrom(257 * 1024, 2 * 1024 * 1024)
      .map((size) => setBody({ text: JSON.stringify({ pad: 'x'.repeat(size) }) }, `body of ${size} bytes`)),
  ];
  const example = exampleOf(schema);
  const leaves = pathsOf(example);
  const objects = [[], ...leaves].filter((path) => isObject(valueAt(example, path)));
  if (leaves.length > 0) {
    mutations.push(
      // The likeliest place for a bad value to slip through: a field deep inside a valid body.
      {
        weight: 4,
        arbitrary: fc.tuple(fc.constantFrom(...leaves), wrongTypes).map(
          ([path, value]): Mutation =>
            (draft) => {
              // A mutation that cannot reach its path (an earlier one made the parent null) changes nothing.
              const placed = reaches(jsonBody(draft), path);
              draft.body = { json: withValueAt(jsonBody(draft), path, value) };
              const at = schemaAt(schema, path);
              note(
                draft,
                'body',
                `body.${path.join('.')} = ${JSON.stringify(value)?.slice(0, 80)}`,
                placed && at !== undefined && certainlyInvalid(at, value),
              );
            },
        ),
      },
      fc.constantFrom(...leaves.filter((path) => typeof path.at(-1) === 'string')).map(
        (path): Mutation =>
          (draft) => {
            const placed = reaches(jsonBody(draft), path);
            draft.body = { json: withValueAt(jsonBody(draft), path, removed) };
            const parent = schemaAt(schema, path.slice(0, -1));
            note(
              draft,
              'body',
              `body.${path.join('.')} missing`,
              placed && (parent?.required?.includes(String(path.at(-1))) ?? false),
            );
          },
      ),
    );
  }
  mutations.push(
    fc
      .tuple(
        fc.constantFrom(...objects),
        fc.constantFrom('extra', 'constructor', '__proto__', '', '\u0000', 'id'),
        wrongTypes,
      )
      .map(
        ([path, name, value]): Mutation =>
          (draft) => {
            const placed = reaches(jsonBody(draft), [...path, name]);
            draft.body = { json: withValueAt(jsonBody(draft), [...path, name], value) };
            const parent = schemaAt(schema, path);
            const unknown =
              placed && parent?.additionalProperties === false && !(name in (parent.properties ?? {}));
            note(draft, 'body', `body.${[...path, JSON.stringify(name)].join('.')} added`, unknown);
          },
      ),
  );
  return mutations;
}

function jsonBody(draft: Draft): unknown {
  return draft.body && 'json' in draft.body ? draft.body.json : {};
}

function contentTypeMutation(hasBody: boolean): fc.Arbitrary<Mutation> {
  return fc
    .constantFrom<string | undefined>(
      undefined,
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      'application/jsonx',
      'json',
      '*/*',
      ';;;',
      'application/json; charset=utf-7',
    )
    .map(
      (contentType): Mutation =>
        (draft) => {
          draft.contentType = contentType;
          draft.body ??= { json: {} };
          const refused = contentType === undefined || !/^application\/json(;|$)/.test(contentType);
          note(draft, 'content-type', `content-type ${contentType ?? 'missing'}`, hasBody && refused);
        },
    );
}

function authMutation(baseline: Baseline): fc.Arbitrary<Mutation> {
  const header =
    (value: string | undefined, what: string, twice = false): Mutation =>
    (draft) => {
      draft.headers = draft.headers.filter(([n]) => n !== 'authorization');
      if (value !== undefined) draft.headers.push(['authorization', value]);
      if (twice && value !== undefined) draft.headers.push(['authorization', value]);
      draft.mutations.push(what);
    };
  return fc.oneof(
    // Mostly valid tokens of each role, so that validation behind the role check is reached.
    {
      weight: 6,
      arbitrary: fc
        .constantFrom(...baseline.tokens)
        .map((token) => header(`Bearer ${token}`, 'a valid token')),
    },
    fc
      .constantFrom(...baseline.tokens)
      .map((token) => header(`Bearer ${token}`, 'a valid token twice', true)),
    fc.constantFrom(...baseline.badTokens).map((token) => header(`Bearer ${token}`, 'a refused token')),
    fc
      .constantFrom(
        undefined,
        '',
        'Bearer',
        'Bearer ',
        'Basic YTpi',
        'bearer a.b.c',
        'Bearer a b',
        `Bearer ${'a'.repeat(20_000)}`,
      )
      .map((value) => header(value, `authorization ${JSON.stringify(value)?.slice(0, 30)}`)),
    nastyStrings.map((value) => header(`Bearer ${asHeaderValue(value)}`, 'a nasty token')),
  );
}

const oversizedHeader = fc.constantFrom(8 * 1024, 64 * 1024).map(
  (size): Mutation =>
    (draft) => {
      draft.headers.push(['x-fuzz-padding', 'p'.repeat(size)]);
      draft.mutations.push(`a ${size}-byte header`);
    },
);

function note(draft: Draft, part: string, what: string, certain: boolean): void {
  draft.touched.add(part);
  draft.mutations.push(what);
  if (certain) draft.certain = true;
}

// --- requests ------------------------------------------------------------------------------------

function baselineDraft(operation: Operation, baseline: Baseline): Draft {
  const value = (p: Parameter) => baseline.value(operation, p.name) ?? String(exampleOf(p.schema));
  const draft: Draft = {
    params: new Map(
      operation.parameters.filter((p) => p.in === 'path').map((p) => [p.name, { value: value(p) }]),
    ),
    query: operation.parameters.filter((p) => p.in === 'query' && p.required).map((p) => [p.name, value(p)]),
    headers: operation.parameters.filter((p) => p.in === 'header').map((p) => [p.name, value(p)]),
    touched: new Set(),
    mutations: [],
    certain: false,
  };
  if (operation.body) {
    draft.body = { json: exampleOf(operation.body) };
    draft.contentType = 'application/json';
  }
  return draft;
}

function render(operation: Operation, draft: Draft): FuzzRequest {
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const param = draft.params.get(name);
    return param?.raw ? param.value : percentEncoded(param?.value ?? '');
  });
  const query = draft.query
    .map(([name, value, raw]) => `${percentEncoded(name)}=${raw ? value : percentEncoded(value)}`)
    .join('&');
  const headers = [...draft.headers];
  if (draft.contentType !== undefined) headers.push(['content-type', draft.contentType]);
  const body = draft.body && ('text' in draft.body ? draft.body.text : JSON.stringify(draft.body.json));
  return {
    method: operation.method,
    url: query ? `${path}?${query}` : path,
    headers,
    body: operation.method === 'GET' ? undefined : body,
    touched: [...draft.touched],
    mutations: draft.mutations,
    malformed: draft.certain,
  };
}

/**
 * Requests for `operation`, each with a breaker: a change meant to make it malformed, applied last so
 * nothing undoes it, and `malformed` when it surely did (a value the document's schema refuses, a
 * missing required part, a body that is not the JSON asked for). The suite sends only those to an
 * operation that changes state (`fc.pre`, which shrinking respects too); a GET may get any.
 */
export function malformedRequests(operation: Operation, baseline: Baseline): fc.Arbitrary<FuzzRequest> {
  const breakers: fc.MaybeWeightedArbitrary<Mutation>[] = [
    ...operation.parameters.map(parameterMutation),
    ...(operation.body ? [...bodyMutations(operation.body), contentTypeMutation(true)] : []),
  ];
  const extras: fc.MaybeWeightedArbitrary<Mutation>[] = [
    oversizedHeader,
    fc.tuple(nastyStrings, nastyStrings).map(
      ([name, value]): Mutation =>
        (draft) => {
          draft.query.push([name, value]);
          // A name that does not decode (a lone surrogate) reaches the server, and its detail, as sent.
          draft.touched.add(decodedAsServed(percentEncoded(name)));
          note(draft, name, `unknown query ${JSON.stringify(name).slice(0, 40)}`, false);
        },
    ),
    ...breakers,
  ];
  return fc
    .tuple(
      breakers.length > 0 ? fc.oneof(...breakers) : fc.oneof(...extras),
      fc.array(fc.oneof(...extras), { maxLength: 2 }),
      operation.secured ? authMutation(baseline) : fc.oneof(fc.constant(undefined), authMutation(baseline)),
    )
    .map(([breaker, more, auth]) => {
      const draft = baselineDraft(operation, baseline);
      auth?.(draft);
      for (const mutation of more) mutation(draft);
      // The breaker goes last, so nothing undoes it, and only its own certainty counts.
      draft.certain = false;
      breaker(draft);
      return render(operation, draft);
    });
}
