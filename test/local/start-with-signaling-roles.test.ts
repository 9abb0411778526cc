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

  it('refuses a master channels claim that is the channels claim, naming both keys', () => {
    const context = {
      auth: 'jwt',
      signalingRoles: 'viewer,master',
      channelsClaim: 'channels',
      masterChannelsClaim: 'channels',
    };

    expect(() => readEmulatedConfig(context)).toThrow(
      'Invalid context "masterChannelsClaim" / "channelsClaim": masterChannelsClaim must name a different claim ' +
        'than channelsClaim ("channels"): the same claim would let every caller who may view a channel master it',
    );
  });

  it('names the closest key for a misspelled one', () => {
    expect(() => parseArgs(['-c', 'signalingRole=viewer'], {})).toThrow(/did you mean "signalingRoles"/);
  });
});
