import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { describe, expect, it } from 'vitest';
import { DUAL_STACK_PARTITIONS, FIPS_REGIONS, KVS_REGIONS } from '../../lib/regions';
import { findBotocoreData } from '../local/emulator/support/botocore-models';
import { requirements, TOOLS } from '../support/requirements';

const { missing, options } = requirements(TOOLS.botocore);
const found = findBotocoreData();

/** An endpoint variant of AWS's endpoint data: FIPS, dual-stack, or both. */
interface Variant {
  readonly tags: readonly string[];
}

/** AWS's endpoint data as botocore ships it (`data/endpoints.json`), as far as this test reads it. */
interface EndpointData {
  readonly partitions: readonly {
    readonly partition: string;
    readonly regionRegex: string;
    readonly defaults: { readonly variants?: readonly Variant[] };
    readonly services: Record<
      string,
      | {
          readonly defaults?: { readonly variants?: readonly Variant[] };
          readonly endpoints: Record<
            string,
            { readonly deprecated?: boolean; readonly variants?: readonly Variant[] }
          >;
        }
      | undefined
    >;
  }[];
}

/** Whether `variants` has one tagged exactly `tags`. */
const hasVariant = (variants: readonly Variant[] | undefined, tags: readonly string[]): boolean =>
  (variants ?? []).some((variant) => [...variant.tags].sort().join() === [...tags].sort().join());

const readEndpointData = (): EndpointData =>
  JSON.parse(readFileSync(join('dir' in found ? found.dir : '', 'endpoints.json'), 'utf8')) as EndpointData;

describe(missing ? `the Regions that offer KVS (${missing})` : 'the Regions that offer KVS', options, () => {
  it("are the kinesisvideo endpoints of AWS's endpoint data, by partition (botocore), FIPS variants aside", () => {
    const data = readEndpointData();

    const offered = Object.fromEntries(
      data.partitions.flatMap(({ partition, services }) => {
        const regions = Object.keys(services.kinesisvideo?.endpoints ?? {}).filter(
          (region) => !region.includes('fips'),
        );
        return regions.length > 0 ? [[partition, regions.sort()]] : [];
      }),
    );

    expect(offered).toEqual(KVS_REGIONS);
  });
});

describe(
  missing
    ? `where the function's services have FIPS and dual-stack endpoints (${missing})`
    : "where the function's services have FIPS and dual-stack endpoints",
  options,
  () => {
    it("lists the Regions whose endpoints have a FIPS variant in AWS's endpoint data (botocore), the Region's own or its service's", () => {
      const data = readEndpointData();

      const fips = Object.fromEntries(
        Object.keys(FIPS_REGIONS).map((service) => {
          const regions = data.partitions.flatMap(({ regionRegex, services }) => {
            const entry = services[service];
            const region = new RegExp(regionRegex);
            return Object.entries(entry?.endpoints ?? {})
              .filter(([name, endpoint]) => region.test(name) && endpoint.deprecated !== true)
              .filter(
                ([, endpoint]) =>
                  hasVariant(endpoint.variants, ['fips']) || hasVariant(entry?.defaults?.variants, ['fips']),
              )
              .map(([name]) => name);
          });
          return [service, regions.sort()];
        }),
      );

      expect(fips).toEqual(FIPS_REGIONS);
    });

    it("lists the partitions whose endpoints have a dual-stack variant in AWS's endpoint data (botocore)", () => {
      const data = readEndpointData();

      const partitions = data.partitions
        .filter(({ defaults }) => hasVariant(defaults.variants, ['dualstack']))
        .map(({ partition }) => partition);

      expect(partitions.sort()).toEqual(DUAL_STACK_PARTITIONS);
    });
  },
);

describe("the AWS SDK's endpoint rules for KVS", () => {
  it("build FIPS and dual-stack hosts in partitions where AWS's endpoint data has none: they cannot say where an endpoint is missing", async () => {
    const { endpointProvider } = new KinesisVideoClient({}).config;
    const url = async (Region: string, UseFIPS: boolean, UseDualStack: boolean) =>
      (await endpointProvider({ Region, UseFIPS, UseDualStack })).url.href;

    expect(await url('cn-north-1', true, false)).toBe(
      'https://kinesisvideo-fips.cn-north-1.amazonaws.com.cn/',
    );
    expect(await url('us-west-2', true, false)).toBe('https://kinesisvideo-fips.us-west-2.amazonaws.com/');
    expect(await url('us-iso-east-1', false, true)).toBe(
      'https://kinesisvideo.us-iso-east-1.api.aws.ic.gov/',
    );
  });
});
