import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KVS_REGIONS } from '../../lib/regions';
import { findBotocoreData } from '../local/emulator/support/botocore-models';

const found = findBotocoreData();
const missing = 'missing' in found ? found.missing : undefined;

/** AWS's endpoint data as botocore ships it (`data/endpoints.json`), as far as this test reads it. */
interface EndpointData {
  readonly partitions: readonly {
    readonly partition: string;
    readonly services: Record<string, { readonly endpoints: Record<string, unknown> } | undefined>;
  }[];
}

describe.skipIf(missing)(
  missing ? `the Regions that offer KVS (skipped: ${missing})` : 'the Regions that offer KVS',
  () => {
    it("are the kinesisvideo endpoints of AWS's endpoint data, by partition (botocore), FIPS variants aside", () => {
      const dir = 'dir' in found ? found.dir : '';
      const data = JSON.parse(readFileSync(join(dir, 'endpoints.json'), 'utf8')) as EndpointData;

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
  },
);
