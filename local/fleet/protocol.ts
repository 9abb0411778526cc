import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * Messages between the local gateway and a function instance process (Node's IPC channel): an
 * invocation with its event, and the instance's answers. Events and results are plain JSON.
 */

/** One invocation: the API Gateway event, and what the Lambda context needs. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  readonly event: unknown;
  /** The invocation's Lambda request id. */
  readonly requestId: string;
  /** Milliseconds the invocation has left (the Lambda timeout). */
  readonly remainingMs: number;
}

export type InstanceReply =
  /** Init done: the handler module loaded with its environment. */
  | { readonly type: 'ready'; readonly pid: number }
  /** Init failed (the handler module threw at cold start). */
  | { readonly type: 'failed'; readonly message: string }
  /** The answer to invocation `id`: the handler's result, or `error` when it threw (a crash). */
  | {
      readonly type: 'result';
      readonly id: number;
      readonly result?: APIGatewayProxyStructuredResultV2;
      readonly error?: true;
    };
