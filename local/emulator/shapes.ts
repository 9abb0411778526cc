import { AwsError } from './errors';

/**
 * Input shapes as the AWS service models declare them (botocore's `service-2.json`, the Smithy
 * models of every SDK): types, required members, lengths, ranges, patterns and enums. The
 * emulator validates every request against them the way AWS's request layer does, and the
 * conformance test (test/local/emulator/conformance.test.ts) compares them with the models.
 */
export type Shape = StringShape | NumberShape | BooleanShape | ListShape | StructureShape;

export interface StringShape {
  readonly type: 'string';
  readonly min?: number;
  readonly max?: number;
  /** The model's pattern, verbatim: a Java regex the whole value must match (read here with the `u` flag). */
  readonly pattern?: string;
  readonly enum?: readonly string[];
}
export interface NumberShape {
  readonly type: 'integer' | 'long';
  readonly min?: number;
  readonly max?: number;
}
export interface BooleanShape {
  readonly type: 'boolean';
}
export interface ListShape {
  readonly type: 'list';
  readonly member: Shape;
  readonly min?: number;
  readonly max?: number;
}
export interface StructureShape {
  readonly type: 'structure';
  readonly members: Readonly<Record<string, Shape>>;
  readonly required?: readonly string[];
}

/** A structure shape (the common case), `required` listing members that must be present. */
export const structure = (
  members: Record<string, Shape>,
  required: readonly string[] = [],
): StructureShape => ({
  type: 'structure',
  members,
  required,
});

const patterns = new Map<string, RegExp>();
/** The model's pattern as a whole-value JavaScript regex (cached). */
function wholeMatch(pattern: string): RegExp {
  let regex = patterns.get(pattern);
  if (!regex) {
    regex = new RegExp(`^(?:${pattern})$`, 'u');
    patterns.set(pattern, regex);
  }
  return regex;
}

/** A JSON value's type in a deserializer's words, for a SerializationException. */
function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * `SerializationException` (400): the body does not deserialize into the input shape (a JSON
 * value of the wrong type), as AWS's JSON protocols answer it before any validation.
 */
export const serializationError = (message: string): AwsError =>
  new AwsError('SerializationException', 400, message);

/** Member names as AWS's validation messages spell them: the first letter lower-cased (`channelARN`). */
const memberPath = (parent: string, name: string): string =>
  `${parent === '' ? '' : `${parent}.`}${name.charAt(0).toLowerCase()}${name.slice(1)}`;

/**
 * Checks that a JSON value has the shape's types (a missing or `null` member is absent); throws a
 * SerializationException naming the first member that does not. Unknown members are ignored, as
 * AWS's deserializers ignore them.
 */
export function checkJsonTypes(shape: Shape, value: unknown, path: string): void {
  if (value === undefined || value === null) return;
  const wrong = (expected: string) =>
    serializationError(`Expected ${expected} at '${path || 'body'}', got ${jsonType(value)}.`);
  switch (shape.type) {
    case 'string':
      if (typeof value !== 'string') throw wrong('a string');
      return;
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw wrong('an integer');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw wrong('a boolean');
      return;
    case 'list':
      if (!Array.isArray(value)) throw wrong('an array');
      value.forEach((item, i) => {
        checkJsonTypes(shape.member, item, `${path}.${i + 1}`);
      });
      return;
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) throw wrong('an object');
      const record = value as Record<string, unknown>;
      for (const [name, member] of Object.entries(shape.members))
        checkJsonTypes(member, record[name], memberPath(path, name));
    }
  }
}

/** What a value looks like in a validation message: quoted, unless it is too long to repeat. */
const shown = (value: unknown): string => {
  const text = Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
  return text.length <= 256 ? `Value '${text}'` : 'Value';
};

/**
 * The constraint violations of a value already of the right types, in the words of AWS's
 * validation messages (`Value 'x' at 'channelARN' failed to satisfy constraint: Member must …`).
 */
export function violations(shape: Shape, value: unknown, path: string): string[] {
  const fail = (constraint: string) => [
    `${shown(value)} at '${path}' failed to satisfy constraint: Member must ${constraint}`,
  ];
  switch (shape.type) {
    case 'string': {
      const text = String(value);
      if (shape.min !== undefined && text.length < shape.min)
        return fail(`have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && text.length > shape.max)
        return fail(`have length less than or equal to ${shape.max}`);
      if (shape.enum && !shape.enum.includes(text))
        return fail(`satisfy enum value set: [${shape.enum.join(', ')}]`);
      if (shape.pattern !== undefined && !wholeMatch(shape.pattern).test(text))
        return fail(`satisfy regular expression pattern: ${shape.pattern}`);
      return [];
    }
    case 'integer':
    case 'long': {
      const n = Number(value);
      if (shape.min !== undefined && n < shape.min)
        return fail(`have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && n > shape.max)
        return fail(`have value less than or equal to ${shape.max}`);
      return [];
    }
    case 'boolean':
      return [];
    case 'list': {
      const list = value as unknown[];
      if (shape.min !== undefined && list.length < shape.min)
        return fail(`have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && list.length > shape.max)
        return fail(`have length less than or equal to ${shape.max}`);
      return list.flatMap((item, i) => violations(shape.member, item, `${path}.${i + 1}.member`));
    }
    case 'structure': {
      const record = value as Record<string, unknown>;
      return Object.entries(shape.members).flatMap(([name, member]) => {
        const at = memberPath(path, name);
        const field = record[name];
        if (field === undefined || field === null) {
          return shape.required?.includes(name)
            ? [`Value null at '${at}' failed to satisfy constraint: Member must not be null`]
            : [];
        }
        return violations(member, field, at);
      });
    }
  }
}

/**
 * Validates an input against its shape: a SerializationException for a value of the wrong JSON
 * type (JSON protocols only: a form has strings only), then every constraint violation in one
 * error, `N validation error(s) detected: …`, with the service's validation error code.
 */
export function validateInput(
  shape: StructureShape,
  input: Record<string, unknown>,
  validationCode: string,
  json: boolean,
): void {
  if (json) checkJsonTypes(shape, input, '');
  const found = violations(shape, input, '');
  if (found.length === 0) return;
  const count = `${found.length} validation error${found.length === 1 ? '' : 's'} detected`;
  throw new AwsError(validationCode, 400, `${count}: ${found.join('; ')}`);
}
