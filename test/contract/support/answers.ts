import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { documentedResponse, type Header, type JsonSchema, jsonContent, resolve } from './document';
import { schemaProblem } from './validators';

/** An HTTP answer, whether it came over the wire or straight from the handler's response builder. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** Who produced the answer: the function, or API Gateway itself (no function headers). */
export type Source = 'function' | 'apiGateway';

export async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export function answerOfResult(result: APIGatewayProxyStructuredResultV2): Answer {
  const headers = new Headers(
    Object.entries(result.headers ?? {}).map(([name, value]): [string, string] => [name, String(value)]),
  );
  return {
    status: result.statusCode ?? 200,
    headers,
    body: result.body ? JSON.parse(result.body) : undefined,
  };
}

/** A header's text as the JSON value its schema describes (`Retry-After: 5` is the integer 5). */
function headerValue(text: string, schema: JsonSchema): unknown {
  const type = typeof schema === 'object' ? schema.type : undefined;
  return (type === 'integer' || type === 'number') && text.trim() !== '' ? Number(text) : text;
}

function headerViolations(
  answer: Answer,
  headers: Readonly<Record<string, Header>>,
  source: Source,
): string[] {
  return Object.entries(headers).flatMap(([name, header]) => {
    // The function sends every header documented for its statuses; API Gateway only the required ones.
    if (source === 'apiGateway' && !header.required) return [];
    const text = answer.headers.get(name);
    if (text === null) return [`header ${name} is missing`];
    const problem = schemaProblem(header.schema, headerValue(text, header.schema));
    return problem ? [`header ${name} "${text}": ${problem}`] : [];
  });
}

/** Every way the answer departs from the document; empty when it matches. */
export function contractViolations(answer: Answer, source: Source = 'function'): string[] {
  const response = documentedResponse(answer.status);
  if (!response) return [`status ${answer.status} is not documented`];
  const headers = Object.fromEntries(
    Object.entries(response.headers ?? {}).map(([name, header]) => [name, resolve(header)]),
  );
  const violations = headerViolations(answer, headers, source);
  if (!response.content)
    return answer.body === undefined ? violations : [...violations, 'body is not documented'];
  if (!answer.headers.get('content-type')?.startsWith('application/json')) {
    violations.push(`content-type "${answer.headers.get('content-type')}" is not application/json`);
  }
  const problem = schemaProblem(jsonContent(response).schema, answer.body);
  return problem ? [...violations, `body: ${problem}`] : violations;
}
