import { SHARED_TABLE } from '../contract';
import type { Clock } from '../core/ports';
import type { ViewerSlots } from '../core/viewer-slots';
import { expiresAtOf, numberOf, type SharedTable } from './shared-table';

/** Viewer-slot items' key prefix, apart from the budget's windows and the ICE cache. */
const PREFIX = 'viewers|';

/**
 * How long a caller's count outlives its last viewer connection: KVS closes a signaling
 * connection after at most one hour, so after that no connection the count could name is open.
 */
const LINGER_MS = 3600_000;

/**
 * The viewer turn of every function instance together, in the shared table: one item per
 * (channel, caller) holding how many viewer connections the caller was given, raised by one
 * `UpdateItem ADD` per viewer answer (no read, no condition), read back by a storage-session
 * viewer join to check its ClientId was handed out. DynamoDB removes the item an hour after its last
 * use. Rejects with `SharedStateUnavailable` when DynamoDB fails or is slow.
 */
export class DynamoDbViewerSlots implements ViewerSlots {
  constructor(
    private readonly table: SharedTable,
    private readonly clock: Clock = Date.now,
  ) {}

  async next(channelArn: string, pool: string, slots: number, signal?: AbortSignal): Promise<number> {
    const item = await this.table.update(
      itemKey(channelArn, pool),
      {
        UpdateExpression: 'ADD #given :one SET #expiresAt = :expiresAt',
        ExpressionAttributeNames: { '#given': 'given', '#expiresAt': SHARED_TABLE.timeToLiveAttribute },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':expiresAt': expiresAtOf(this.clock() + LINGER_MS),
        },
        ReturnValues: 'UPDATED_NEW',
      },
      signal,
    );
    const given = numberOf(item, 'given') ?? 1;
    return (given - 1) % slots;
  }

  /** One strongly consistent `GetItem`: slots are handed out from 0 in turn, so `slot` was once the count passed it. */
  async issued(channelArn: string, pool: string, slot: number, signal?: AbortSignal): Promise<boolean> {
    const item = await this.table.get(itemKey(channelArn, pool), signal);
    return slot < (numberOf(item, 'given') ?? 0);
  }
}

/** The item counting the viewer answers of caller `pool` on `channelArn`. */
const itemKey = (channelArn: string, pool: string): string => `${PREFIX}${channelArn}|${pool}`;
