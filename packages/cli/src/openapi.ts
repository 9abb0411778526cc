import { ICE_SERVERS_ROUTE_PATH } from '@kvs-ice-broker/client/contract';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
// The API's OpenAPI document (docs/openapi.json), inlined into the built command: it checks answers
// against the contract of the version it was built with, wherever it is installed.
import OPENAPI_DOCUMENT from '../../../docs/openapi.json';

/** The `$id` under which the document's components are known to Ajv. */
const DOCUMENT_ID = 'https://kvs-ice-broker.invalid/openapi.json';

/** RFC 3339 `date-time`, the format OpenAPI's `date-time` means. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

interface Document {
  readonly paths: Record<string, { post?: { responses: Record<string, unknown> } }>;
  readonly components: Record<string, unknown>;
}

/**
 * Checks an answer of `POST /v1/channels/{channel}/ice-servers` against the schema that
 * docs/openapi.json documents for its status, with Ajv (JSON Schema 2020-12, strict), so the
 * smoke check fails on a deployment whose answers drifted from the contract.
 */
export class AnswerValidator {
  private readonly ajv: Ajv2020;
  private readonly responses: Record<string, unknown>;

  constructor(document: Document = OPENAPI_DOCUMENT as Document) {
    const responses = document.paths[ICE_SERVERS_ROUTE_PATH]?.post?.responses;
    if (!responses) throw new Error(`the OpenAPI document has no POST ${ICE_SERVERS_ROUTE_PATH}`);
    this.responses = responses;
    // Open tuples are meant: `iceServers` is the STUN entry (`prefixItems`), then TURN entries (`items`).
    this.ajv = new Ajv2020({ strict: true, strictTuples: false, allErrors: true });
    this.ajv.addFormat(
      'date-time',
      (text: string) => DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)),
    );
    this.ajv.addKeyword({ keyword: 'components' });
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: document.components });
  }

  /** Why `body` is not what the document says a `status` answer is, or undefined when it is. */
  problem(status: number, body: unknown): string | undefined {
    const validate = this.validatorFor(status);
    if (validate === undefined) return `the API documents no ${status} answer`;
    return validate(body) ? undefined : this.ajv.errorsText(validate.errors, { dataVar: 'body' });
  }

  private validatorFor(status: number): ValidateFunction | undefined {
    const response = this.responses[String(status)] as
      | { content?: Record<string, { schema?: { $ref?: string } }> }
      | undefined;
    const ref = response?.content?.['application/json']?.schema?.$ref;
    return ref === undefined ? undefined : this.ajv.getSchema(`${DOCUMENT_ID}${ref}`);
  }
}
