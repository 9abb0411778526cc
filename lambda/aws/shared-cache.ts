import { SHARED_TABLE } from '../contract';
import type { TurnServerSet } from '../core/model';
import type { IceConfig, SharedIceCache } from '../core/ports';
import { expiresAtOf, isConditionFailure, numberOf, type SharedTable } from './shared-table';

/** Cache items' key prefix, apart from the budget's windows. */
const PREFIX = 'ice|';

/**
 * The shared ICE cache (context `sharedCache`) in the shared table: one item per (channel, role,
 * caller) with the answer's TURN server sets (JSON, credentials included: the table is encrypted
 * with KMS, and DynamoDB removes the item after its last credential expired) and when KVS
 * answered. A write never replaces a newer answer. Rejects with `SharedStateUnavailable` when
 * DynamoDB fails or is slow.
 */
export class DynamoDbIceCache implements SharedIceCache {
  constructor(private readonly table: SharedTable) {}

  async get(key: string, signal?: AbortSignal): Promise<IceConfig | undefined> {
    const item = await this.table.get(PREFIX + key, signal);
    const fetchedAt = numberOf(item, 'fetchedAt');
    const sets = parseSets(item?.sets?.S);
    return fetchedAt !== undefined && sets !== undefined ? { sets, fetchedAt } : undefined;
  }

  async put(key: string, config: IceConfig, signal?: AbortSignal): Promise<void> {
    const lastExpiry = Math.max(...config.sets.map((set) => set.expiresAt));
    try {
      await this.table.update(
        PREFIX + key,
        {
          UpdateExpression: 'SET #sets = :sets, #fetchedAt = :fetchedAt, #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#fetchedAt) OR #fetchedAt < :fetchedAt',
          ExpressionAttributeNames: {
            '#sets': 'sets',
            '#fetchedAt': 'fetchedAt',
            '#expiresAt': SHARED_TABLE.timeToLiveAttribute,
          },
          ExpressionAttributeValues: {
            ':sets': { S: JSON.stringify(config.sets) },
            ':fetchedAt': { N: String(config.fetchedAt) },
            ':expiresAt': expiresAtOf(lastExpiry),
          },
        },
        signal,
      );
    } catch (error) {
      // Another instance stored a newer answer: keep it.
      if (!isConditionFailure(error)) throw error;
    }
  }
}

/** The stored sets, or undefined when the attribute is absent or not what this code writes. */
function parseSets(json: string | undefined): TurnServerSet[] | undefined {
  if (json === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) && value.length > 0 && value.every(isTurnServerSet) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isTurnServerSet(value: unknown): value is TurnServerSet {
  const set = value as Partial<TurnServerSet> | null;
  return (
    typeof set === 'object' &&
    set !== null &&
    Array.isArray(set.uris) &&
    set.uris.every((uri) => typeof uri === 'string') &&
    typeof set.username === 'string' &&
    typeof set.password === 'string' &&
    typeof set.expiresAt === 'number'
  );
}
