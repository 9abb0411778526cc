#!/usr/bin/env node
// CDK app entry (cdk.json "app"). Configuration comes from CDK context: see lib/app.ts.
import { App } from 'aws-cdk-lib';
import { buildIceBrokerApp } from '../lib/app';
import { ConfigError } from '../lib/ice-broker-validation';

try {
  // The CDK CLI tells the app where it deploys: see IceBrokerAppOptions.region.
  buildIceBrokerApp(new App(), { region: process.env.CDK_DEFAULT_REGION });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A configuration mistake: its message says what to fix, a stack trace would only bury it.
  console.error(error.message);
  process.exit(1);
}
