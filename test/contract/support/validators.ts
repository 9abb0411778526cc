import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { document, isReference, type JsonSchema } from './document';

/** The `$id` under which the document's components are known to Ajv. */
const DOCUMENT_ID = 'https://kvs-ice-broker.invalid/openapi.json';

/** RFC 3339 `date-time`, the format OpenAPI's `date-time` means. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function createAjv(): Ajv2020 {
  // Strict: a keyword or format Ajv does not know is an error, not silently ignored. Open tuples
  // are meant: `iceServers` is the STUN entry (`prefixItems`), then any number of TURN entries (`items`).
  const ajv = new Ajv2020({ strict: true, strictTuples: false, allErrors: true });
  ajv.addFormat('date-time', (text: string) => DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)));
  // The components under the document's own layout, so `#/components/schemas/…` references resolve
  // exactly as they do in the document.
  ajv.addKeyword({ keyword: 'components' });
  ajv.addSchema({ $id: DOCUMENT_ID, components: document.components });
  return ajv;
}

const ajv = createAjv();

/** A validator for a schema of the document: a `$ref` into its components, or an inline schema. */
function validatorFor(schema: JsonSchema): ValidateFunction {
  if (!isReference(schema)) return ajv.compile(schema);
  const validate = ajv.getSchema(`${DOCUMENT_ID}${schema.$ref}`);
  if (!validate) throw new Error(`${schema.$ref} does not resolve in docs/openapi.json`);
  return validate;
}

/** Why `value` does not match `schema`, or undefined when it does. */
export function schemaProblem(schema: JsonSchema, value: unknown): string | undefined {
  const validate = validatorFor(schema);
  return validate(value) ? undefined : ajv.errorsText(validate.errors);
}
