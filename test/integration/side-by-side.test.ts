import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/runner';

// Each local stack builds its function from its own configuration (createHandler), and none
// writes the process's environment: two stacks with different settings serve side by side.
const stacks: LocalStack[] = [];
beforeAll(async () => {
  const quiet = { POWERTOOLS_LOG_LEVEL: 'SILENT' };
  stacks.push(
    await startLocalStack({ port: 0, channels: ['front-door'], relay: false, env: quiet }),
    await startLocalStack({
      port: 0,
      channels: ['backyard'],
      region: 'cn-north-1',
      relay: false,
      signalingRoles: ['viewer'],
      env: quiet,
    }),
  );
});
afterAll(() => Promise.all(stacks.map((stack) => stack.close())));

const post = (stack: LocalStack | undefined, path: string) =>
  fetch(`${stack?.api.url}/v1/channels/${path}`, { method: 'POST' });

it('serves two local stacks of different settings in one process, each with its own', async () => {
  const [front, back] = stacks;

  const frontDoor = await post(front, 'front-door/ice-servers');
  const backyard = await post(back, 'backyard/ice-servers');
  const notServed = await post(front, 'backyard/ice-servers');
  const viewer = await post(back, 'backyard/viewer');

  expect(frontDoor.status).toBe(200);
  expect(await backyard.json()).toMatchObject({
    channelArn: expect.stringMatching(/^arn:aws-cn:kinesisvideo:cn-north-1:/),
  });
  expect(notServed.status).toBe(403);
  expect(viewer.status).toBe(200);
});
