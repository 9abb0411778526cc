import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import cdkJson from '../../../cdk.json';
import { buildIceBrokerApp } from '../../../lib/app';
import { IceBroker } from '../../../lib/ice-broker';
import type { IceBrokerProps } from '../../../lib/ice-broker-props';
import type { KvsIceBrokerStack } from '../../../lib/stack';

/** CDK context as `cdk synth` sees it: cdk.json "context" overridden by `-c key=value`. */
export type Context = Record<string, unknown>;

export interface BuiltApp {
  readonly app: App;
  readonly stack: KvsIceBrokerStack;
}

export interface Synthesized extends BuiltApp {
  readonly template: Template;
}

export interface SynthOptions {
  /**
   * Run esbuild on the handler. Off by default (context `aws:cdk:bundling-stacks: []`, as
   * `cdk synth --exclusively` leaves other stacks unbundled): only ice-broker/bundle.test.ts
   * needs the bundle; every other test reads the template, which does not depend on it.
   */
  readonly bundle?: boolean;
  /** The Region `cdk deploy` would deploy to, as the CDK CLI tells bin/app.ts (`IceBrokerAppOptions.region`). */
  readonly region?: string;
}

const outdirs: string[] = [];

/** The context of `cdk synth` without `-c` options: cdk.json's "context". */
export const CDK_JSON_CONTEXT: Context = cdkJson.context;

/**
 * cdk.json plus the keys it leaves to the operator: `auth` and the channels. Tests run in `iam`
 * mode (no extra keys needed) with one created channel, `demo`, unless they override these keys;
 * `{ auth: undefined }` removes one.
 */
export const TEST_CONTEXT: Context = { ...CDK_JSON_CONTEXT, auth: 'iam', createChannels: 'demo' };

/** A new temporary directory for a cloud assembly; {@link removeCloudAssemblies} deletes it. */
export function cloudAssemblyDir(): string {
  const outdir = mkdtempSync(path.join(tmpdir(), 'kvs-ice-broker-cdk-test-'));
  outdirs.push(outdir);
  return outdir;
}

/** A CDK app writing to a temporary cloud assembly, bundling the function only if asked to. */
export function createApp(context: Context, options: SynthOptions = {}): App {
  const bundling = options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] };
  return new App({ context: { ...context, ...bundling }, outdir: cloudAssemblyDir() });
}

/** Builds the app exactly as bin/app.ts does, from {@link TEST_CONTEXT} plus `overrides`. */
export function buildApp(overrides: Context = {}, options: SynthOptions = {}): BuiltApp {
  const app = createApp({ ...TEST_CONTEXT, ...overrides }, options);
  return { app, stack: buildIceBrokerApp(app, { region: options.region }) };
}

/** An {@link IceBroker} in a fresh stack, with `auth: { mode: 'iam' }` unless `props` say otherwise. */
export function createBroker(props: Partial<IceBrokerProps>): IceBroker {
  const stack = new Stack(createApp({}), 'Test');
  return new IceBroker(stack, 'Broker', { auth: { mode: 'iam' }, ...props });
}

/** Builds and synthesizes the app; cdk-nag runs as part of the synthesis. */
export function synthesize(overrides: Context = {}, options: SynthOptions = {}): Synthesized {
  const built = buildApp(overrides, options);
  return { ...built, template: Template.fromStack(built.stack) };
}

/** The CloudFormation logical ID of a construct's default resource. */
export function logicalId(built: BuiltApp, construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return built.stack.getLogicalId(resource);
}

/** Deletes every cloud assembly this module wrote; call it in `afterAll`. */
export function removeCloudAssemblies(): void {
  for (const outdir of outdirs.splice(0)) rmSync(outdir, { recursive: true, force: true });
}
