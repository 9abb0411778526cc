import { describe, expect, it } from 'vitest';
import { parseArgs, readEmulatedConfig } from '../../local/options';

describe('npm start -c signalingRoles', () => {
  it('serves the viewer route with -c signalingRoles=viewer', () => {
    expect(readEmulatedConfig({ signalingRoles: 'viewer' }).signalingRoles).toEqual(['viewer']);
  });

  it('serves no signaling route by default', () => {
    expect(readEmulatedConfig({}).signalingRoles).toBeUndefined();
  });

  it('serves both roles with auth=jwt and a master channels claim', () => {
    const config = readEmulatedConfig({
      auth: 'jwt',
      signalingRoles: 'viewer,master',
      masterChannelsClaim: 'master_channels',
    });

    expect(config.signalingRoles).toEqual(['viewer', 'master']);
    expect(config.auth).toMatchObject({ mode: 'jwt', masterChannelsClaim: 'master_channels' });
  });

  it('names the closest key for a misspelled one', () => {
    expect(() => parseArgs(['-c', 'signalingRole=viewer'], {})).toThrow(/did you mean "signalingRoles"/);
  });
});
