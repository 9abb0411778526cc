import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceReply, InvokeMessage } from '../../../local/fleet/protocol';

/**
 * A stand-in function instance for the fleet's tests, speaking local/fleet/protocol.ts, steered
 * through the directory named by `SCRIPTED_INSTANCE_DIR`:
 * - while a file `fail` exists there, its cold start fails (as an init error would);
 * - an invocation whose event is `{ "hold": true }` is held: the instance writes a file
 *   `held-<pid>` there and answers it only on SIGUSR2;
 * - every other invocation answers 200 with `{"pid": <its pid>}`.
 */
const dir = process.env.SCRIPTED_INSTANCE_DIR ?? '.';
const send = (reply: InstanceReply, then: () => void = () => undefined) => process.send?.(reply, then);
const answer = (id: number) =>
  send({ type: 'result', id, result: { statusCode: 200, body: JSON.stringify({ pid: process.pid }) } });

if (existsSync(join(dir, 'fail'))) {
  send({ type: 'failed', message: 'scripted init error' }, () => process.exit(1));
} else {
  const held: number[] = [];
  process.on('SIGUSR2', () => {
    for (const id of held.splice(0)) answer(id);
  });
  process.on('message', (message: InvokeMessage) => {
    if (message.type !== 'invoke') return;
    if ((message.event as { hold?: boolean }).hold !== true) return answer(message.id);
    held.push(message.id);
    writeFileSync(join(dir, `held-${process.pid}`), '');
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', pid: process.pid });
}
