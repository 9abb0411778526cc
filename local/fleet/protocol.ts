import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LocalFunctionInit } from '../function';

/**
 * Messages between the local gateway and a function instance process (Node's IPC channel): an
 * invocation with its event, and the instance's answers. Events and results are plain JSON.
 */

/** The parent's first message: what the instance builds its function from (its cold start). */
export interface InitMessage extends LocalFunctionInit {
  readonly type: 'init';
}

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
  /** Init done: the function built from its {@link InitMessage}. */
  | { readonly type: 'ready'; readonly pid: number }
  /** Init failed (building the function threw, e.g. an EnvironmentError naming the variable). */
  | { readonly type: 'failed'; readonly message: string }
  /** The answer to invocation `id`: the handler's result, or `error` when it threw (a crash). */
  | {
      readonly type: 'result';
      readonly id: number;
      readonly result?: APIGatewayProxyStructuredResultV2;
      readonly error?: true;
    };
