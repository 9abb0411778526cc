import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Emulator,
  LOCAL_BLOCKED_CALLERS_PARAMETER,
  OPERATION_MODELS,
  OPERATIONS,
  type Operation,
} from '../../../local/emulator';
import { VALIDATION_CODES } from '../../../local/emulator/model';
import type { Shape } from '../../../local/emulator/shapes';
import { requirements, TOOLS } from '../../support/requirements';
import {
  findBotocoreData,
  loadModel,
  type ModelName,
  type ModelShape,
  type ServiceModel,
} from './support/botocore-models';
import { STORES_MEDIA, startTestEmulator } from './support/emulator';
import { callOperation, type ValidCall, validCalls } from './support/wire';

// The conformance table: every emulated operation against the AWS service models botocore ships
// (the same JSON every AWS SDK is generated from): protocol, method and URI, the input's members,
// required members, lengths, ranges, patterns and enums, the answer's members, and each modelled
// error's code and HTTP status, compared as declared and probed on the wire. Where the emulator
// differs on purpose the difference is listed below with the reason; a difference not listed, or a
// listed one that no longer exists, fails.

const SOURCES: Readonly<Record<Operation, ModelName>> = {
  AssumeRole: 'sts',
  GetCallerIdentity: 'sts',
  GetSignalingChannelEndpoint: 'kinesisvideo',
  DescribeSignalingChannel: 'kinesisvideo',
  ListSignalingChannels: 'kinesisvideo',
  GetIceServerConfig: 'kinesis-video-signaling',
  DescribeMediaStorageConfiguration: 'kinesisvideo',
  JoinStorageSession: 'kinesis-video-webrtc-storage',
  JoinStorageSessionAsViewer: 'kinesis-video-webrtc-storage',
  GetParameter: 'ssm',
};

const NOT_EMULATED =
  'not emulated: the broker never sends it; refused with ValidationError naming it, since ignoring it ' +
  'would be more permissive than AWS (a managed session policy or a tag narrows what AWS grants)';

/** Where the emulator's declarations differ from the model on purpose, and why. */
const DISAGREEMENTS: Readonly<Record<string, string>> = {
  'GetIceServerConfig input ChannelARN pattern':
    "The model's pattern is arn:aws:kinesisvideo:…, which no China channel matches; KVS in cn-north-1 " +
    'serves arn:aws-cn: channels (the seed user deploys there), so the emulator takes the control ' +
    "plane's pattern, arn:[a-z\\d-]+:kinesisvideo:….",
  'GetIceServerConfig output IceServerList[].Username pattern':
    "KVS's usernames are <expiry>:<base64 of the channel ARN> (test/fixtures/get-ice-server-config." +
    "cn-north-1.json), which the model's [a-zA-Z0-9_.-]+ refuses; the emulator answers as KVS does " +
    '(the SDKs do not validate answers).',
  'GetIceServerConfig output IceServerList[].Password pattern':
    "KVS's passwords are base64 (+, /, =), which the model's [a-zA-Z0-9_.-]+ refuses; the emulator " +
    'answers as KVS does.',
  'AssumeRole input PolicyArns': NOT_EMULATED,
  'AssumeRole input Tags': NOT_EMULATED,
  'AssumeRole input TransitiveTagKeys': NOT_EMULATED,
  'AssumeRole input ExternalId': NOT_EMULATED,
  'AssumeRole input SerialNumber': NOT_EMULATED,
  'AssumeRole input TokenCode': NOT_EMULATED,
  'AssumeRole input SourceIdentity': NOT_EMULATED,
  'AssumeRole input ProvidedContexts': NOT_EMULATED,
};

/**
 * Where the emulator refuses what the model's shapes allow, from AWS's documentation rather than
 * the model: each is probed on the wire, so the list cannot go stale.
 */
const STRICTER = [
  {
    operation: 'AssumeRole',
    what: 'DurationSeconds above 3600 (model: up to 43200)',
    why: 'role chaining (a Lambda role assuming another) caps sessions at one hour (IAM User Guide, "Role chaining")',
    input: { DurationSeconds: 3601 },
    code: 'ValidationError',
  },
  {
    operation: 'AssumeRole',
    what: 'a Policy over 2048 characters (model: no maximum)',
    why: 'IAM quota on the plaintext of inline session policies (IAM User Guide, "IAM and AWS STS quotas")',
    input: { Policy: `{"Version":"2012-10-17","Id":"${'x'.repeat(2100)}"}` },
    code: 'ValidationError',
  },
  {
    operation: 'DescribeSignalingChannel',
    what: 'both ChannelName and ChannelARN, or neither (model: both optional)',
    why: 'the API reference: "You must specify either the name or the ARN"; both at once is refused rather than guessed',
    input: { ChannelARN: 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1' },
    code: 'InvalidArgumentException',
  },
] as const satisfies readonly {
  operation: Operation;
  what: string;
  why: string;
  input: Record<string, unknown>;
  code: string;
}[];

const PROTOCOL_NAMES = { awsQuery: 'query', restJson: 'rest-json', awsJson: 'json' } as const;

const { missing, options } = requirements(TOOLS.botocore);
const found = findBotocoreData();

/** The differences between an emulator shape and a model shape, as `path aspect` keys. */
function shapeDifferences(
  model: ServiceModel,
  modelShape: string,
  emulated: Shape | undefined,
  path: string,
): string[] {
  const shape = model.shapes[modelShape];
  if (!shape) return [`${path} missing from the model`];
  if (emulated === undefined) return [path];
  const differences: string[] = [];
  if (shape.type !== emulated.type) return [`${path} type`];
  const same = (aspect: 'min' | 'max' | 'pattern') =>
    (shape[aspect] ?? undefined) ===
    ((emulated as unknown as Partial<Record<string, unknown>>)[aspect] ?? undefined);
  if (emulated.type !== 'structure' && emulated.type !== 'boolean') {
    for (const aspect of ['min', 'max'] as const) if (!same(aspect)) differences.push(`${path} ${aspect}`);
  }
  if (emulated.type === 'string') {
    if (!same('pattern')) differences.push(`${path} pattern`);
    if (JSON.stringify(shape.enum ?? null) !== JSON.stringify(emulated.enum ?? null))
      differences.push(`${path} enum`);
  }
  if (emulated.type === 'list' && shape.member)
    differences.push(...shapeDifferences(model, shape.member.shape, emulated.member, `${path}[]`));
  if (emulated.type === 'structure') {
    const members = shape.members ?? {};
    if (
      JSON.stringify([...(shape.required ?? [])].sort()) !==
      JSON.stringify([...(emulated.required ?? [])].sort())
    )
      differences.push(`${path} required`);
    for (const [name, member] of Object.entries(members))
      differences.push(...shapeDifferences(model, member.shape, emulated.members[name], join(path, name)));
    for (const name of Object.keys(emulated.members))
      if (!(name in members)) differences.push(`${join(path, name)} not in the model`);
  }
  return differences;
}

const join = (path: string, name: string) =>
  path.endsWith(' input') ? `${path} ${name}` : `${path}.${name}`;

/** The problems of an answer against its model shape (unmodelled members, types, constraints), as `path aspect` keys. */
function answerProblems(
  model: ServiceModel,
  shapeName: string,
  value: unknown,
  path: string,
  xml: boolean,
): string[] {
  const shape = model.shapes[shapeName] as ModelShape;
  const at = (aspect: string) => [`${path} ${aspect}`];
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return at('type');
      const record = value as Record<string, unknown>;
      const members = shape.members ?? {};
      return [
        ...(shape.required ?? [])
          .filter((name) => !(name in record))
          .map((name) => `${path}.${name} required`),
        ...Object.entries(record).flatMap(([name, field]) => {
          const member = members[name];
          return member
            ? answerProblems(model, member.shape, field, `${path}.${name}`, xml)
            : [`${path}.${name} not in the model`];
        }),
      ];
    }
    case 'list':
      if (!Array.isArray(value)) return at('type');
      return value.flatMap((item) =>
        answerProblems(model, shape.member?.shape ?? '', item, `${path}[]`, xml),
      );
    case 'string': {
      if (typeof value !== 'string') return at('type');
      const problems: string[] = [];
      if (shape.enum && !shape.enum.includes(value)) problems.push(`${path} enum`);
      if (shape.pattern && !new RegExp(`^(?:${shape.pattern})$`, 'u').test(value))
        problems.push(`${path} pattern`);
      if (
        (shape.min !== undefined && value.length < shape.min) ||
        (shape.max !== undefined && value.length > shape.max)
      )
        problems.push(`${path} length`);
      return problems;
    }
    case 'integer':
    case 'long': {
      const n = xml && typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) return at('type');
      return (shape.min !== undefined && n < shape.min) || (shape.max !== undefined && n > shape.max)
        ? at('range')
        : [];
    }
    case 'timestamp':
      // JSON protocols: epoch seconds; query: ISO 8601.
      return (xml ? typeof value === 'string' && !Number.isNaN(Date.parse(value)) : typeof value === 'number')
        ? []
        : at('type');
    case 'boolean':
      return typeof value === 'boolean' ? [] : at('type');
    default:
      return at(`type ${shape.type}`);
  }
}

/** A small XML reader for awsQuery answers: elements to objects, text to strings (no lists in these answers). */
function parseXml(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const stack: Record<string, unknown>[] = [root];
  const names: string[] = [];
  const tokens = text.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([A-Za-z][\w]*)[^>]*?(\/?)>|([^<]+)/g);
  let pendingText = '';
  for (const [, closing, name, selfClosing, chars] of tokens) {
    if (chars !== undefined) {
      pendingText += chars;
      continue;
    }
    if (closing) {
      const done = stack.pop() as Record<string, unknown>;
      const owner = stack.at(-1) as Record<string, unknown>;
      const own = names.pop() as string;
      owner[own] = Object.keys(done).length === 0 ? unescapeXml(pendingText) : done;
      pendingText = '';
    } else if (!selfClosing && name) {
      stack.push({});
      names.push(name);
      pendingText = '';
    }
  }
  return root;
}

const unescapeXml = (text: string) =>
  text.replace(
    /&(amp|lt|gt|quot|apos);/g,
    (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e] ?? '',
  );

/**
 * Values that break one constraint each of a member (a value of the wrong JSON type, a length or
 * range past its bound, a character outside its pattern, a value outside its enum), with the code
 * AWS answers them with.
 */
function probes(
  shape: ModelShape,
  json: boolean,
  validationCode: string,
): { label: string; value: unknown; code: string }[] {
  const list: { label: string; value: unknown; code: string }[] = [];
  const bad = (label: string, value: unknown) => list.push({ label, value, code: validationCode });
  if (shape.type === 'string') {
    if (json) list.push({ label: 'a number', value: 12345, code: 'SerializationException' });
    if (shape.min !== undefined && shape.min > 0) bad(`shorter than ${shape.min}`, 'a'.repeat(shape.min - 1));
    if (shape.max !== undefined) bad(`longer than ${shape.max}`, 'a'.repeat(shape.max + 1));
    if (shape.pattern) bad('outside its pattern', '\u0001'.repeat(Math.max(shape.min ?? 1, 1)));
    if (shape.enum) bad('outside its enum', 'NOT_A_MODELLED_VALUE');
  } else if (shape.type === 'integer' || shape.type === 'long') {
    if (json) list.push({ label: 'a string', value: '1', code: 'SerializationException' });
    if (shape.min !== undefined) bad(`below ${shape.min}`, shape.min - 1);
    if (shape.max !== undefined) bad(`above ${shape.max}`, shape.max + 1);
  } else if (shape.type === 'boolean' && json) {
    list.push({ label: 'a string', value: 'yes', code: 'SerializationException' });
  }
  return list;
}

describe(
  missing
    ? `the conformance table against the AWS service models (${missing})`
    : 'the conformance table against the AWS service models (botocore)',
  options,
  () => {
    const models = {} as Record<ModelName, ServiceModel>;
    let emulator: Emulator;
    let calls: Readonly<Record<Operation, ValidCall>>;

    beforeAll(async () => {
      const dir = 'dir' in found ? found.dir : '';
      for (const name of new Set(Object.values(SOURCES))) models[name] = loadModel(dir, name);
      emulator = await startTestEmulator({ quotas: { enabled: false }, ...STORES_MEDIA });
      emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, '{}');
      calls = await validCalls(emulator, LOCAL_BLOCKED_CALLERS_PARAMETER);
    });
    afterAll(() => emulator?.close());

    const modelOf = (operation: Operation) => models[SOURCES[operation]];
    const listed = (operation: Operation) =>
      Object.keys(DISAGREEMENTS)
        .filter((key) => key.startsWith(`${operation} `))
        .sort();

    it.each(OPERATIONS)('%s: protocol, signing name, method, URI and target are the model’s', (operation) => {
      const model = modelOf(operation);
      const emulated = OPERATION_MODELS[operation];
      const op = model.operations[operation];

      expect(PROTOCOL_NAMES[emulated.protocol]).toBe(model.metadata.protocol);
      expect(emulated.service).toBe(model.metadata.signingName ?? model.metadata.endpointPrefix);
      expect(emulated.http).toEqual({ method: op?.http.method, requestUri: op?.http.requestUri });
      if (emulated.protocol === 'awsJson') {
        expect(emulated.target).toBe(`${model.metadata.targetPrefix}.${operation}`);
        expect(model.metadata.jsonVersion).toBe('1.1');
      }
      if (emulated.protocol === 'awsQuery') expect(emulated.target).toBe(operation);
    });

    it.each(OPERATIONS)(
      '%s: input members, required members, lengths, ranges, patterns and enums are the model’s, but for those listed',
      (operation) => {
        const model = modelOf(operation);
        const input = model.operations[operation]?.input?.shape;

        const differences = input
          ? shapeDifferences(model, input, OPERATION_MODELS[operation].input, `${operation} input`)
          : [];

        expect([...new Set(differences)].sort()).toEqual(
          listed(operation).filter((key) => key.includes(' input')),
        );
      },
    );

    it.each(OPERATIONS)('%s: every modelled error is emulated with its code and HTTP status', (operation) => {
      const model = modelOf(operation);
      const fromModel = (model.operations[operation]?.errors ?? []).map(({ shape }) => {
        const error = model.shapes[shape] as ModelShape;
        const member = Object.keys(error.members ?? {})[0];
        return {
          code: error.error?.code ?? shape,
          status: error.error?.httpStatusCode ?? (error.fault ? 500 : 400),
          messageMember: member,
        };
      });

      expect([...OPERATION_MODELS[operation].errors].sort((a, b) => a.code.localeCompare(b.code))).toEqual(
        fromModel.sort((a, b) => a.code.localeCompare(b.code)),
      );
    });

    // One test per operation: the models load in beforeAll, after the tests are collected.
    it.each(OPERATIONS)(
      '%s: each modelled error, injected, comes back with the model’s code and status',
      async (operation) => {
        const model = modelOf(operation);
        const { credentials, input } = calls[operation];
        for (const { shape } of model.operations[operation]?.errors ?? []) {
          const error = model.shapes[shape] as ModelShape;
          const code = error.error?.code ?? shape;
          emulator.setFault(operation, { kind: 'error', code });

          const answer = await callOperation(emulator, operation, input, credentials);

          expect({ code: answer.code, status: answer.status }).toEqual({
            code,
            status: error.error?.httpStatusCode ?? (error.fault ? 500 : 400),
          });
        }
        emulator.clearFaults();
      },
    );

    it.each(OPERATIONS)(
      '%s: the answer has only modelled members, of their types, within their constraints',
      async (operation) => {
        const model = modelOf(operation);
        const { credentials, input } = calls[operation];
        const output = model.operations[operation]?.output;

        const answer = await callOperation(emulator, operation, input, credentials);

        expect(answer.status).toBe(200);
        const xml = OPERATION_MODELS[operation].protocol === 'awsQuery';
        const body = xml
          ? ((parseXml(answer.text)[`${operation}Response`] as Record<string, unknown>)[
              output?.resultWrapper ?? ''
            ] ?? {})
          : JSON.parse(answer.text);
        const problems = output ? answerProblems(model, output.shape, body, operation, xml) : [];
        expect(
          [...new Set(problems.map((p) => p.replace(`${operation}.`, `${operation} output `)))].sort(),
        ).toEqual(listed(operation).filter((key) => key.includes(' output ')));
      },
    );

    it.each(OPERATIONS)(
      '%s: refuses each constraint of the model on the wire (required, type, length, range, pattern, enum)',
      async (operation) => {
        const model = modelOf(operation);
        const emulated = OPERATION_MODELS[operation];
        const json = emulated.protocol !== 'awsQuery';
        const code = VALIDATION_CODES[emulated.service];
        const { credentials, input } = calls[operation];
        const inputShape = model.shapes[model.operations[operation]?.input?.shape ?? ''];
        const outcomes: string[] = [];
        const expected: string[] = [];
        for (const [name, member] of Object.entries(inputShape?.members ?? {})) {
          if (`${operation} input ${name}` in DISAGREEMENTS) continue;
          const memberShape = model.shapes[member.shape] as ModelShape;
          const cases = probes(memberShape, json, code);
          if (inputShape?.required?.includes(name)) cases.push({ label: 'missing', value: undefined, code });
          for (const probe of cases) {
            const sent = { ...input, [name]: probe.value };
            if (probe.value === undefined) delete sent[name];
            const answer = await callOperation(emulator, operation, sent, credentials);
            outcomes.push(`${name} ${probe.label}: ${answer.status} ${answer.code}`);
            expected.push(`${name} ${probe.label}: 400 ${probe.code}`);
          }
        }

        expect(outcomes).toEqual(expected);
      },
    );

    it.each(STRICTER)(
      '$operation: refuses $what, stricter than the model ($why)',
      async ({ operation, input, code }) => {
        const call = calls[operation];

        const answer = await callOperation(
          emulator,
          operation,
          { ...call.input, ...input },
          call.credentials,
        );

        expect({ status: answer.status, code: answer.code }).toEqual({ status: 400, code });
      },
    );

    it('lists no disagreement about an operation the emulator does not serve', () => {
      const operations = new Set(Object.keys(DISAGREEMENTS).map((key) => key.split(' ')[0]));

      expect([...operations].every((op) => (OPERATIONS as readonly string[]).includes(op ?? ''))).toBe(true);
    });
  },
);
