import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ApiHandler } from '../../lambda/http/adapter';
import { createLocalHandler } from '../function';
import { lambdaContext } from '../gateway/event';
import { logFailure } from '../gateway/server';
import type { InitMessage, InstanceReply, InvokeMessage } from './protocol';

/**
 * One function instance: the deployed function in a process of its own, built once from the
 * configuration its parent sends first (its cold start, as in Lambda), invoked over Node's IPC
 * channel. Exits when the parent goes away.
 */
function main(): void {
  let handler: ApiHandler | undefined;
  process.on('message', (message: InitMessage | InvokeMessage) => {
    if (message.type === 'init') {
      try {
        handler = createLocalHandler(message);
      } catch (error) {
        // An init failure (e.g. an EnvironmentError naming the variable) is the parent's to report.
        send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }, () =>
          process.exit(1),
        );
        return;
      }
      send({ type: 'ready', pid: process.pid });
      return;
    }
    if (message.type !== 'invoke' || handler === undefined) return;
    const context = { ...lambdaContext(message.remainingMs), awsRequestId: message.requestId };
    handler(message.event as APIGatewayProxyEventV2, context).then(
      (result) => send({ type: 'result', id: message.id, result }),
      (error: unknown) => {
        logFailure(`invocation ${message.requestId} (function instance pid ${process.pid})`, error);
        send({ type: 'result', id: message.id, error: true });
      },
    );
  });
  process.on('disconnect', () => process.exit(0));
}

function send(reply: InstanceReply, then: () => void = () => undefined): void {
  process.send?.(reply, () => then());
}

main();
