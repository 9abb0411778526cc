/**
 * Where the broker can work: the Regions that offer Amazon Kinesis Video Streams (KVS), those where
 * CloudFormation can create a signaling channel, and what synthesis refuses or warns about when a
 * deployment's Region or channels say it would not work (see {@link regionRisks}).
 *
 * What AWS's own material says, and where (docs/operations.md, "aws-cn (China Regions)"):
 * - KVS in China is offered in the Beijing Region (`cn-north-1`) only, without WebRTC ingestion:
 *   https://docs.amazonaws.cn/en_us/aws/latest/userguide/kvs.html ("Getting Started with Amazon Web
 *   Services in China"), and AWS's endpoint data (below) agrees.
 * - CloudFormation's resource types differ by Region, and its per-Region resource provider schemas
 *   are where to check ("Resource availability may vary by Region. To check the availability of a
 *   resource in a given Region, refer to the resource provider schemas for that Region":
 *   https://docs.amazonaws.cn/en_us/AWSCloudFormation/latest/UserGuide/resource-type-schemas.html).
 *   The schemas of `cn-north-1` and `cn-northwest-1`
 *   (https://schema.cloudformation.cn-north-1.amazonaws.com.cn/CloudformationSchema.zip), as
 *   cfn-lint 1.51 ships them, have no `AWS::KinesisVideo::*` type; nor have those of `af-south-1`.
 *   The China CloudFormation template reference lists `AWS::KinesisVideo::SignalingChannel`, but it
 *   lists every type of every Region (Well-Architected and others not offered in China too): it
 *   documents the types, not where they are offered.
 * - WebRTC ingestion (`JoinStorageSession`, `JoinStorageSessionAsViewer`) is not offered in the
 *   China Regions: each API's page in the China documentation says so ("此 API 在中国区域不可用",
 *   https://docs.amazonaws.cn/kinesisvideostreams/latest/dg/API_webrtc_JoinStorageSession.html and
 *   …/API_webrtc_JoinStorageSessionAsViewer.html), as does the China userguide above. Both share
 *   the `kinesisvideo` endpoint prefix, so the endpoint data cannot tell: synthesis refuses
 *   `storageSessions` where a channel or the deploy Region is in `aws-cn` ({@link NO_INGESTION_PARTITIONS}).
 * - The KVS WebRTC developer guide says WebRTC "is not yet supported in the AWS GovCloud (US)
 *   Region" (https://docs.aws.amazon.com/kinesisvideostreams-webrtc-dg/latest/devguide/availability.html),
 *   while the endpoint data lists KVS there and CloudFormation's schemas there have the signaling
 *   channel type. The sources disagree, so synthesis neither refuses nor vouches for it. (The KVS
 *   WebRTC SDKs now target it: the JS SDK 2.7.0 turns FIPS on for `us-gov-` Regions, and the C SDK
 *   tests its GovCloud STUN endpoint.)
 * - Where the function's services have dual-stack and FIPS endpoints (settings `dualStack` and
 *   `fips`): {@link DUAL_STACK_PARTITIONS} and {@link FIPS_REGIONS}, from the same endpoint data;
 *   {@link endpointVariantRisks} refuses the others.
 */
import { parseChannelArn } from '../lambda/contract';
import type { Risk, Risks } from './safety';

/**
 * The Regions that offer KVS, by partition: the `kinesisvideo` endpoints of AWS's endpoint data as
 * botocore 1.43.11 ships it (`botocore/data/endpoints.json`; the `fips-` entries are endpoint
 * variants, not Regions). The signaling APIs (`GetSignalingChannelEndpoint`, `CreateSignalingChannel`)
 * are operations of that same endpoint. In the `aws` partition the list is exactly the KVS WebRTC
 * developer guide's. test/lib/regions.test.ts checks it against the installed botocore.
 *
 * There is no override for a Region missing here: a Region this list lacks is far more often a typo
 * than a launch, and an override would let the typo through to a deployment that fails at run time.
 * When AWS launches KVS in a Region, botocore's data lists it and the test above fails until this
 * table has it too.
 */
export const KVS_REGIONS: Readonly<Record<string, readonly string[]>> = {
  aws: [
    'af-south-1',
    'ap-east-1',
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-south-1',
    'ap-southeast-1',
    'ap-southeast-2',
    'ap-southeast-5',
    'ca-central-1',
    'eu-central-1',
    'eu-south-2',
    'eu-west-1',
    'eu-west-2',
    'eu-west-3',
    'me-south-1',
    'sa-east-1',
    'us-east-1',
    'us-east-2',
    'us-west-2',
  ],
  'aws-cn': ['cn-north-1'],
  'aws-us-gov': ['us-gov-east-1', 'us-gov-west-1'],
  'aws-iso': ['us-iso-east-1'],
};

/**
 * The KVS Regions whose CloudFormation resource provider schemas have no
 * `AWS::KinesisVideo::SignalingChannel`, as cfn-lint 1.51 ships them (cfn-lint downloads each
 * Region's `CloudformationSchema.zip`): a stack there cannot create a channel.
 * test/lib/cfn-lint.test.ts checks it against the installed cfn-lint.
 */
export const NO_CLOUDFORMATION_SIGNALING_CHANNEL: readonly string[] = ['af-south-1', 'cn-north-1'];

/** The partitions whose Regions offer no WebRTC ingestion (storage sessions); see the sources above. */
export const NO_INGESTION_PARTITIONS: readonly string[] = ['aws-cn'];

/** The partitions other than `aws`, by the prefix of their Regions' names (AWS's endpoint data, `regionRegex`). */
const PARTITION_PREFIXES: readonly (readonly [prefix: string, partition: string])[] = [
  ['cn-', 'aws-cn'],
  ['us-gov-', 'aws-us-gov'],
  ['us-iso-', 'aws-iso'],
  ['us-isob-', 'aws-iso-b'],
  ['eu-isoe-', 'aws-iso-e'],
  ['us-isof-', 'aws-iso-f'],
  ['eusc-', 'aws-eusc'],
];

/** The partition a Region belongs to, by its name (`cn-north-1` is in `aws-cn`). */
export function partitionOf(region: string): string {
  return PARTITION_PREFIXES.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'aws';
}

/** Whether KVS is offered in `region` of `partition`. */
export function offersKvs(partition: string, region: string): boolean {
  return KVS_REGIONS[partition]?.includes(region) ?? false;
}

/** Why KVS cannot be used in `region` of `partition` (`which` says what the Region is to the deployment), naming where it can. */
export function kvsNotOffered(partition: string, region: string, which = ''): string {
  const offered = KVS_REGIONS[partition] ?? [];
  const where =
    offered.length === 0
      ? 'in none of its Regions'
      : `in ${offered.join(', ')}${offered.length === 1 ? ' only' : ''}`;
  return `Kinesis Video Streams is not offered in ${region}${which} (in ${partition} it is offered ${where})`;
}

/** The AWS services the function calls, by their names in AWS's endpoint data, as messages name them. */
export const FUNCTION_SERVICES = {
  kinesisvideo: 'Kinesis Video Streams',
  sts: 'STS',
  ssm: 'SSM',
  dynamodb: 'DynamoDB',
} as const;

/** A service the function calls: KVS (control plane and signaling) in each channel's Region, the others in its own. */
export type FunctionService = keyof typeof FUNCTION_SERVICES;

/**
 * The Regions where each service the function calls has a FIPS endpoint: those whose endpoint, or
 * whose service's defaults, have a `fips` variant in AWS's endpoint data as botocore 1.43.11 ships
 * it (`botocore/data/endpoints.json`; test/lib/regions.test.ts checks it against the installed
 * botocore). The partitions' defaults name a FIPS host for every service and Region, as the AWS
 * SDK's endpoint rules do (`supportsFIPS` is true in every partition, China included): they say
 * what a FIPS host would be called, not that it exists. The explicit variants do: they are
 * exactly the FIPS endpoints the General Reference lists (Kinesis Data Streams' in four US
 * Regions, none for KVS outside GovCloud), and the KVS WebRTC SDKs agree for KVS: the JS SDK
 * 2.7.0 refuses FIPS outside `us-gov-` Regions (examples/app.js), and the C SDK's FIPS endpoint
 * table (src/source/Signaling/ChannelInfo.h) has GovCloud's and the ISO partitions' only (for the
 * latter the endpoint data has no FIPS variant, so synthesis refuses them).
 */
export const FIPS_REGIONS: Readonly<Record<FunctionService, readonly string[]>> = {
  kinesisvideo: ['us-gov-east-1', 'us-gov-west-1'],
  sts: ['us-east-1', 'us-east-2', 'us-gov-east-1', 'us-gov-west-1', 'us-west-1', 'us-west-2'],
  ssm: [
    'ca-central-1',
    'ca-west-1',
    'us-east-1',
    'us-east-2',
    'us-gov-east-1',
    'us-gov-west-1',
    'us-west-1',
    'us-west-2',
  ],
  dynamodb: [
    'ca-central-1',
    'ca-west-1',
    'us-east-1',
    'us-east-2',
    'us-gov-east-1',
    'us-gov-west-1',
    'us-west-1',
    'us-west-2',
  ],
};

/**
 * The partitions whose endpoints have dual-stack variants (IPv4 and IPv6): those whose defaults
 * have a `dualstack` variant in AWS's endpoint data (botocore 1.43.11; test/lib/regions.test.ts
 * checks it). For dual-stack the data has no finer grain for KVS, STS, SSM or DynamoDB: no Region
 * of these partitions is marked as lacking one. The KVS WebRTC developer guide ("Use IPv6/Dual-Stack
 * endpoints with Amazon Kinesis Video WebRTC") warns that "if a dual-stack endpoint doesn't exist
 * for the service or Region, the request fails", without a list; the C SDK tests dual-stack TURN in
 * us-west-2. docs/operations.md says what is confirmed where.
 */
export const DUAL_STACK_PARTITIONS: readonly string[] = ['aws', 'aws-cn', 'aws-eusc', 'aws-us-gov'];

/** The settings {@link regionRisks} reads (a subset of the broker's props). */
export interface RegionSettings {
  /** The Region the stack deploys to, when synthesis knows it. */
  readonly region?: string;
  readonly authMode: string;
  readonly existingChannels?: readonly {
    readonly name: string;
    readonly arn?: string;
    readonly creationTime?: string;
  }[];
  readonly createChannels?: readonly string[];
  /** Storage sessions (WebRTC ingestion) are served: refused where KVS offers no ingestion. */
  readonly storageSessions?: boolean;
  /** Dual-stack endpoints for every call (`dualStack`). */
  readonly dualStack?: boolean;
  /** FIPS endpoints for every call (`fips`). */
  readonly fips?: boolean;
}

/**
 * What the deployment's Region and channels make impossible or doubtful:
 * - refused: a channel ARN in a Region without KVS; a channel the stack would create, or name by
 *   its creation time, in a deploy Region without KVS (the function calls KVS in each channel's own
 *   Region, so a stack may serve channels of another Region by their ARN); a channel to create in a
 *   Region where CloudFormation cannot create one (the message says how to create it instead);
 *   `storageSessions` where a channel or the deploy Region is in a partition without WebRTC
 *   ingestion (`aws-cn`);
 *   `dualStack` or `fips` where a service the function calls has no such endpoint
 *   ({@link endpointVariantRisks});
 * - warned: `auth` `jwt` or `none` in `aws-cn` (a channel ARN's partition, or the deploy Region's),
 *   where API Gateway serves such APIs only for an account with an ICP licence (docs/operations.md).
 * The deploy Region is known when the stack has one, or when the CDK CLI tells the app (lib/app.ts).
 */
export function regionRisks(settings: RegionSettings): Risks {
  const { region, authMode } = settings;
  const existing = settings.existingChannels ?? [];
  const created = settings.createChannels ?? [];
  const refusals: Risk[] = [];
  const partitions = new Set<string>();
  existing.forEach(({ arn }, index) => {
    const parsed = arn === undefined ? undefined : parseChannelArn(arn);
    if (parsed === undefined) return;
    partitions.add(parsed.partition);
    const partition = partitionOf(parsed.region);
    const problem =
      partition !== parsed.partition
        ? `names partition ${parsed.partition}, but ${parsed.region} is in ${partition}`
        : offersKvs(partition, parsed.region)
          ? undefined
          : kvsNotOffered(partition, parsed.region);
    if (problem !== undefined)
      refusals.push({ props: [`existingChannels[${index}].arn`], message: `"${arn}": ${problem}` });
  });
  if (region !== undefined) {
    const partition = partitionOf(region);
    partitions.add(partition);
    if (!offersKvs(partition, region)) {
      const reason = kvsNotOffered(partition, region, ', the Region this stack deploys to');
      existing.forEach(({ name, arn, creationTime }, index) => {
        if (arn === undefined && creationTime !== undefined)
          refusals.push({
            props: [`existingChannels[${index}]`],
            message: `"${name}/${creationTime}" names a channel of this stack's own Region, but ${reason}: give the full ARN of a channel in a Region that offers it`,
          });
      });
      if (created.length > 0)
        refusals.push({
          props: ['createChannels'],
          message: `${reason}, so the stack cannot create a channel there: deploy to a Region that offers it, or serve an existing channel of such a Region by its full ARN (-c channels=arn:…)`,
        });
    } else if (NO_CLOUDFORMATION_SIGNALING_CHANNEL.includes(region)) {
      created.forEach((name, index) => {
        refusals.push({
          props: [`createChannels[${index}]`],
          message:
            `CloudFormation cannot create a signaling channel in ${region} (its resource types there have no AWS::KinesisVideo::SignalingChannel). ` +
            `Create "${name}" with the AWS CLI: aws kinesisvideo create-signaling-channel --channel-name ${name} --region ${region} --query ChannelARN --output text; ` +
            'then serve it by that ARN with -c channels=<ARN> instead of createChannels',
        });
      });
    }
  }
  const noIngestion = NO_INGESTION_PARTITIONS.filter((partition) => partitions.has(partition));
  if (settings.storageSessions === true && noIngestion.length > 0) {
    refusals.push({
      props: ['storageSessions'],
      message: `KVS offers no WebRTC ingestion (JoinStorageSession, JoinStorageSessionAsViewer) in ${noIngestion.join(', ')}: leave storageSessions off there (docs/operations.md, "Three modes")`,
    });
  }
  refusals.push(...endpointVariantRisks(settings));
  const warnings: Risk[] = [];
  if (partitions.has('aws-cn') && (authMode === 'jwt' || authMode === 'none')) {
    warnings.push({
      props: ['auth'],
      message:
        `auth=${authMode} in the China Regions (aws-cn): API Gateway there serves an API without IAM authorization only for an account with an ICP licence, ` +
        'and without one the API does not answer; deploy with auth=iam unless the account has one (docs/operations.md, "aws-cn (China Regions)")',
    });
  }
  return { refusals, warnings };
}

/** `a`, `a and b`, `a, b and c` (or `or`). */
function listed(items: readonly string[], conjunction: 'and' | 'or' = 'and'): string {
  return items.length <= 1
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

/** Where the function calls AWS: the services it calls in one Region, and why it calls them there. */
interface RegionCalls {
  readonly services: Set<FunctionService>;
  /** The Region the stack deploys to (the function's own). */
  own: boolean;
  /** The channels (by ARN) in the Region. */
  readonly channels: string[];
}

const ENDPOINT_VARIANTS_DOC = 'docs/operations.md, "Dual-stack and FIPS endpoints"';

/**
 * `dualStack` and `fips` where a service the function calls has no such endpoint
 * ({@link DUAL_STACK_PARTITIONS}, {@link FIPS_REGIONS}): the function calls STS, SSM and DynamoDB
 * in the Region the stack deploys to (when synthesis knows it), and KVS there for the channels
 * it creates or names by creation time, and in the Region of each channel ARN. One refusal per
 * setting and Region, naming the Region, why the function calls it, and the services it lacks.
 */
export function endpointVariantRisks(settings: RegionSettings): Risk[] {
  const { region, dualStack = false, fips = false } = settings;
  if (!dualStack && !fips) return [];
  const existing = settings.existingChannels ?? [];
  const calls = new Map<string, RegionCalls>();
  const callsIn = (name: string): RegionCalls => {
    const found = calls.get(name) ?? { services: new Set<FunctionService>(), own: false, channels: [] };
    calls.set(name, found);
    return found;
  };
  if (region !== undefined) {
    const own = callsIn(region);
    own.own = true;
    const kvsHere =
      (settings.createChannels ?? []).length > 0 || existing.some(({ arn }) => arn === undefined);
    for (const service of ['kinesisvideo', 'sts', 'ssm', 'dynamodb'] as const)
      if (service !== 'kinesisvideo' || kvsHere) own.services.add(service);
  }
  for (const { name, arn } of existing) {
    const parsed = arn === undefined ? undefined : parseChannelArn(arn);
    if (parsed === undefined) continue;
    const there = callsIn(parsed.region);
    there.services.add('kinesisvideo');
    there.channels.push(name);
  }
  const order = Object.keys(FUNCTION_SERVICES) as FunctionService[];
  const variants = [
    {
      setting: 'dualStack',
      enabled: dualStack,
      what: 'dual-stack',
      has: (_: FunctionService, where: string) => DUAL_STACK_PARTITIONS.includes(partitionOf(where)),
      known: () => `AWS's endpoint data has dual-stack endpoints in ${listed(DUAL_STACK_PARTITIONS)} only`,
    },
    {
      setting: 'fips',
      enabled: fips,
      what: 'FIPS',
      has: (service: FunctionService, where: string) => FIPS_REGIONS[service].includes(where),
      known: (service: FunctionService) =>
        `AWS's endpoint data has FIPS endpoints of ${FUNCTION_SERVICES[service]} in ${listed(FIPS_REGIONS[service])} only`,
    },
  ] as const;
  return variants.flatMap(({ setting, enabled, what, has, known }) =>
    !enabled
      ? []
      : [...calls].flatMap(([where, { services, own, channels }]) => {
          const lacking = order.filter((service) => services.has(service) && !has(service, where));
          const [first] = lacking;
          if (first === undefined) return [];
          const names = channels.map((name) => `"${name}"`);
          const ofChannels =
            names.length === 0 ? '' : `of channel${names.length > 1 ? 's' : ''} ${listed(names)}`;
          const role = own ? `this stack deploys to${ofChannels ? ` and ${ofChannels}` : ''}` : ofChannels;
          const missing = listed(
            lacking.map((service) => FUNCTION_SERVICES[service]),
            'or',
          );
          return [
            {
              props: [setting],
              message: `${where}, the Region ${role}, has no ${what} endpoint for ${missing}; ${known(first)} (${ENDPOINT_VARIANTS_DOC})`,
            },
          ];
        }),
  );
}
