import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ApiHandler } from '../../lambda/http/adapter';
import { lambdaContext } from '../gateway/event';
import { logFailure } from '../gateway/server';
import type { InstanceReply, InvokeMessage } from './protocol';

/**
 * One function instance: the deployed handler module in a process of its own, with the
 * environment its parent gave it (read once, at cold start, as in Lambda), invoked over Node's
 * IPC channel. Exits when the parent goes away.
 */
async function main(): Promise<void> {
  let handler: ApiHandler;
  try {
    ({ handler } = await import('../../lambda/handler'));
  } catch (error) {
    // An init failure (e.g. an EnvironmentError naming the variable) is the parent's to report.
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  process.on('message', (message: InvokeMessage) => {
    if (message.type !== 'invoke') return;
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
  send({ type: 'ready', pid: process.pid });
}

function send(reply: InstanceReply): void {
  process.send?.(reply);
}

main();
