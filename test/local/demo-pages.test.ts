import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/runner';
import { startAuthStack } from './gateway/support/stack';

describe('the /demo pages of the local API', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startAuthStack({ channels: ['demo', 'lobby'] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const get = (path: string, init?: RequestInit) => fetch(`${stack.api.url}${path}`, init);

  it('serves the page with the served channels and auth mode, and a policy that allows only its own scripts', async () => {
    const response = await get('/demo');
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(html).toContain(
      '<script type="application/json" id="demo-config">{"channels":["demo","lobby"],"authMode":"none"',
    );
  });

  it('serves the demo script, the client library bundled in, and its stylesheet', async () => {
    const script = await get('/demo/demo.js');
    const style = await get('/demo/demo.css');

    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('IceServerClient');
    expect(style.status).toBe(200);
  });

  it('answers other methods with 405 and leaves other paths to the API (404)', async () => {
    const post = await get('/demo', { method: 'POST' });
    const other = await get('/demo/nothing-here');

    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ message: 'Not Found' });
  });
});
