import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { budgetLimits, type FunctionConfig } from '../config';
import { SHARED_TABLE } from '../contract';
import {
  type CallBudget,
  FallbackCallBudget,
  InstanceCallBudget,
  SharedStateUnavailable,
} from '../core/budget';
import type { Metrics } from '../core/metrics';
import type { Clock, SharedIceCache } from '../core/ports';
import { FallbackViewerSlots, InstanceViewerSlots, type ViewerSlots } from '../core/viewer-slots';
import { type AwsClientOptions, clientDefaults, clientLocation } from './clients';
import { SharedCallBudget } from './shared-budget';
import { DynamoDbIceCache } from './shared-cache';
import { DynamoDbViewerSlots } from './shared-viewer-slots';

/** A DynamoDB item as the low-level client returns it. */
export type Item = Record<string, AttributeValue>;

/** An UpdateItem of the shared table: everything but the table name and the key. */
export type Update = Omit<UpdateItemCommandInput, 'TableName' | 'Key'>;

export interface SharedTableOptions {
  readonly client: DynamoDBClient;
  /** The table's name (env `SHARED_TABLE`, set by the stack). */
  readonly tableName: string;
  /** Milliseconds one DynamoDB request may take before the caller degrades (env `SHARED_TABLE_TIMEOUT_MS`). */
  readonly timeoutMs: number;
}

/**
 * The shared table (lib/shared-table.ts creates it): one item per key `pk`, removed by DynamoDB
 * some time after its `expiresAt` (epoch seconds). Every request has a tight timeout; a request
 * that fails for any reason but its condition rejects with {@link SharedStateUnavailable}, so
 * that callers fall back to per-instance state instead of failing the request. A failed condition
 * (`ConditionalCheckFailedException`, with the item as it was when AWS returns it) passes through.
 */
export class SharedTable {
  constructor(private readonly options: SharedTableOptions) {}

  /** Milliseconds one request may take: by then it has landed, or the caller has been told it failed. */
  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /** UpdateItem on the item `key`; resolves with the item's attributes the update asked for. */
  async update(key: string, update: Update, signal?: AbortSignal): Promise<Item | undefined> {
    const command = new UpdateItemCommand({ TableName: this.options.tableName, Key: keyOf(key), ...update });
    const output = await this.send(
      (abortSignal) => this.options.client.send(command, { abortSignal }),
      signal,
    );
    return output.Attributes;
  }

  /** The item `key` (a strongly consistent read), or undefined when there is none. */
  async get(key: string, signal?: AbortSignal): Promise<Item | undefined> {
    const command = new GetItemCommand({
      TableName: this.options.tableName,
      Key: keyOf(key),
      ConsistentRead: true,
    });
    const output = await this.send(
      (abortSignal) => this.options.client.send(command, { abortSignal }),
      signal,
    );
    return output.Item;
  }

  private async send<T>(request: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    try {
      return await request(signal ? AbortSignal.any([signal, timeout]) : timeout);
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      // The request's own deadline is the request's business, not the table's.
      if (signal?.aborted) throw signal.reason;
      throw new SharedStateUnavailable(
        timeout.aborted
          ? `DynamoDB did not answer within ${this.options.timeoutMs} ms`
          : 'DynamoDB refused or failed the request',
        { cause: error },
      );
    }
  }
}

/** The key the prewarm reads (no item has it). */
const PREWARM_KEY = 'prewarm';

const keyOf = (key: string): Item => ({ [SHARED_TABLE.partitionKey]: { S: key } });

/** A conditional write that found the item not as required; `Item` is the item as it was (when asked for). */
export function isConditionFailure(error: unknown): error is Error & { Item?: Item } {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** A number attribute's value, or undefined when the attribute is absent or not a number. */
export function numberOf(item: Item | undefined, name: string): number | undefined {
  const raw = item?.[name]?.N;
  const value = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/** The `expiresAt` (TTL) value for an item that may be removed after `epochMs`. */
export const expiresAtOf = (epochMs: number): AttributeValue => ({ N: String(Math.ceil(epochMs / 1000)) });

/** What a deployment with a shared table adds to the vendor. */
export interface SharedState {
  /** The shared budget, falling back to the instance's own. */
  readonly budget: CallBudget;
  /** With `sharedCache` only. */
  readonly sharedCache?: SharedIceCache;
  /** The viewer route's turn of ClientIds, counted for every instance together (the instance's own count as fallback). */
  readonly viewerSlots: ViewerSlots;
  /** Reads one item, so that the client's first real request does not pay for its first use; rejects when DynamoDB fails. */
  prewarm(): Promise<void>;
}

/** What {@link sharedState} builds on besides the configuration. */
export interface SharedStateOptions {
  readonly metrics: Metrics;
  /** Where the DynamoDB client reports SDK trouble. */
  readonly warn?: (message: string) => void;
  /** Where the DynamoDB client finds DynamoDB (the SDK's own resolution by default). */
  readonly aws?: AwsClientOptions;
  readonly clock?: Clock;
}

/**
 * The shared budget (with the per-instance budget as its fallback), the viewer route's shared turn
 * of ClientIds and, with `SHARED_CACHE=true`, the shared ICE cache, on one DynamoDB client whose every request times out after
 * `sharedTableTimeoutMs` (no SDK retry: the fallback is the retry). Undefined without
 * `SHARED_TABLE`.
 */
export function sharedState(config: FunctionConfig, options: SharedStateOptions): SharedState | undefined {
  if (config.sharedTable === undefined) return undefined;
  const { metrics, warn, clock = Date.now } = options;
  const timeoutMs = config.sharedTableTimeoutMs;
  const client = new DynamoDBClient({
    ...clientDefaults({ connectionTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs, maxAttempts: 1, warn }),
    ...clientLocation(options.aws ?? {}, 'dynamodb'),
  });
  const table = new SharedTable({ client, tableName: config.sharedTable, timeoutMs });
  const limits = budgetLimits(config);
  return {
    budget: new FallbackCallBudget({
      shared: new SharedCallBudget({ table, limits, clock }),
      fallback: new InstanceCallBudget(limits, clock),
      metrics,
      clock,
    }),
    ...(config.sharedCache ? { sharedCache: new DynamoDbIceCache(table) } : {}),
    viewerSlots: new FallbackViewerSlots(
      new DynamoDbViewerSlots(table, clock),
      new InstanceViewerSlots(),
      metrics,
      clock,
    ),
    prewarm: () => table.get(PREWARM_KEY).then(() => undefined),
  };
}
