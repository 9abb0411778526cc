import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeCloudAssemblies, type Synthesized, synthesize } from '../support/synth';

describe('partitions', () => {
  let s: Synthesized;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    s = synthesize({ channels: 'lobby/1716796800123', createChannels: 'demo' });
  });

  it('hard-codes no ARN partition, so one template deploys to aws and aws-cn', () => {
    const template = JSON.stringify(s.template.toJSON());

    expect(template).not.toMatch(/arn:aws[a-z-]*:/);
    expect(template).toContain('{"Ref":"AWS::Partition"}');
  });

  it('names no Region or account, so the stack is environment-agnostic', () => {
    const template = JSON.stringify(s.template.toJSON().Resources);

    expect(template).not.toMatch(/\b(us|eu|ap|cn|sa|ca|me|af|il)-[a-z]+-\d\b/);
    expect(template).not.toMatch(/\b\d{12}\b/);
  });
});
