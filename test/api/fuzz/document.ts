// Owns what the API fuzzer reads from the OpenAPI document: its operations, a valid example of a
// schema, and whether a value is one no valid request can carry where a schema is expected.

/** The part of JSON Schema (as the document's zod schemas emit it) the fuzzer reads. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  example?: unknown;
  default?: unknown;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  /** `METHOD /path/{param}`, as the document names it. */
  id: string;
  method: string;
  path: string;
  parameters: Parameter[];
  /** The JSON body's schema, when the operation takes one. */
  body?: JsonSchema;
  secured: boolean;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** Every operation of the document, its schemas' `$ref`s resolved. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const resolve = (schema: JsonSchema): JsonSchema => {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    const found = doc.components?.schemas?.[name];
    if (!found) throw new Error(`the document references ${schema.$ref}, which it does not define`);
    return resolve(found);
  };
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, spec]) => {
      const op = spec as {
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema: JsonSchema }> };
        security?: unknown[];
      };
      const body = op.requestBody?.content?.['application/json']?.schema;
      return {
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []).map((p) => ({ ...p, schema: resolve(p.schema) })),
        body: body && resolve(body),
        secured: (op.security ?? []).length > 0,
      };
    }),
  );
}

const controlChars = /\p{Cc}/u;

/** Whether no valid request carries `value` where `schema` is expected, as the document says. */
export function certainlyInvalid(schema: JsonSchema, value: unknown): boolean {
  const types = schema.type === undefined ? [] : [schema.type].flat();
  if (schema.anyOf) return schema.anyOf.every((option) => certainlyInvalid(option, value));
  if (schema.enum) return !schema.enum.includes(value);
  if (typeof value === 'string') {
    if (types.length > 0 && !types.includes('string')) return !isNumericParameter(types, value);
    // Control characters are valid in no field: that is the rule the fuzzer holds the API to.
    if (controlChars.test(value)) return true;
    if (
      value.length < (schema.minLength ?? 0) ||
      value.length > (schema.maxLength ?? Number.POSITIVE_INFINITY)
    )
      return true;
    return schema.pattern !== undefined && !patternOf(schema.pattern).test(value);
  }
  if (typeof value === 'number') {
    if (!types.includes('number') && !types.includes('integer')) return types.length > 0;
    if (types.includes('integer') && !Number.isInteger(value)) return true;
    return value < (schema.minimum ?? -Infinity) || value > (schema.maximum ?? Infinity);
  }
  if (value === null) return types.length > 0 && !types.includes('null');
  if (Array.isArray(value)) return types.length > 0 && !types.includes('array');
  if (typeof value === 'object') return types.length > 0 && !types.includes('object');
  if (typeof value === 'boolean') return types.length > 0 && !types.includes('boolean');
  return false;
}

/** A JSON Schema pattern: ECMA-262 with unicode semantics (`\p{...}`), as the document's zod regexes are. */
function patternOf(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return new RegExp(pattern);
  }
}

// A query or header parameter of a numeric type arrives as a string the API coerces.
function isNumericParameter(types: string[], value: string): boolean {
  if (!types.includes('integer') && !types.includes('number')) return false;
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) && (types.includes('number') || Number.isInteger(n));
}

export function numericInvalid(schema: JsonSchema, value: string): boolean {
  const types = [schema.type ?? []].flat();
  if (!isNumericParameter(types, value)) return true;
  const n = Number(value);
  return n < (schema.minimum ?? -Infinity) || n > (schema.maximum ?? Infinity);
}

/** A valid value for a schema, from its example, default or type. */
export function exampleOf(schema: JsonSchema): unknown {
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf?.[0]) return exampleOf(schema.anyOf[0]);
  const type = [schema.type ?? 'string'].flat()[0];
  if (type === 'object') {
    const properties = Object.entries(schema.properties ?? {}).filter(
      ([name, property]) => schema.required?.includes(name) || property.example !== undefined,
    );
    return Object.fromEntries(properties.map(([name, property]) => [name, exampleOf(property)]));
  }
  if (type === 'array') return schema.items ? [exampleOf(schema.items)] : [];
  if (type === 'integer' || type === 'number') return schema.minimum ?? 1;
  if (type === 'boolean') return true;
  return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
}

/** The schema of the node at `path`, through properties, items and the options of unions. */
export function schemaAt(schema: JsonSchema | undefined, path: (string | number)[]): JsonSchema | undefined {
  if (!schema || path.length === 0) return schema;
  const key = path[0] as string | number;
  const rest = path.slice(1);
  const options = schema.anyOf ?? [schema];
  const next =
    typeof key === 'number'
      ? options.find((option) => option.items)?.items
      : options.find((option) => option.properties?.[key])?.properties?.[key];
  return schemaAt(next, rest);
}
