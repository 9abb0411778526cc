import type { IncomingMessage } from 'node:http';

/** An answer in API Gateway's own words, e.g. 401 `{"message":"Unauthorized"}`. */
export interface Rejection {
  readonly status: number;
  readonly message: string;
  readonly headers?: Record<string, string>;
}

export type GateDecision = { authorizer?: Record<string, unknown> } | { reject: Rejection };

/** Decides, like an API Gateway authorizer, whether a request reaches the function, and as whom. */
export type Gate = (req: IncomingMessage, body: Buffer) => Promise<GateDecision>;
