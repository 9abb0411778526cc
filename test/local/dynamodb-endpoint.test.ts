import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_TABLE } from '../../lambda/contract';
import { connectDynamoDb, LOCAL_SHARED_TABLE } from '../../local/dynamodb';
import { type MotoServer, startMoto } from '../support/moto';
import { requirements, TOOLS } from '../support/requirements';

// Another DynamoDB than dynalite for the local runner and the tests (moto's server here): the
// shared table made in it, the requests counted, web pages refused, a store that is not there named.

const needed = requirements(TOOLS.moto);

describe(
  needed.missing
    ? `another DynamoDB endpoint (${needed.missing})`
    : "another DynamoDB endpoint (moto's server)",
  needed.options,
  () => {
    let moto: MotoServer;
    beforeAll(async () => {
      moto = await startMoto();
    }, 180_000);
    afterAll(() => moto?.close());

    const client = (endpoint: string) =>
      new DynamoDBClient({
        endpoint,
        region: 'us-west-2',
        credentials: { accessKeyId: 'LOCAL', secretAccessKey: 'local-secret' },
        maxAttempts: 1,
      });

    it('creates the shared table with the key the stack gives it, and counts the requests through it', async () => {
      const store = await connectDynamoDb(moto.url);
      try {
        const ddb = client(store.url);
        const { Table } = await ddb.send(new DescribeTableCommand({ TableName: store.tableName }));
        ddb.destroy();

        expect(store.tableName).toBe(LOCAL_SHARED_TABLE);
        expect(Table?.KeySchema).toEqual([{ AttributeName: SHARED_TABLE.partitionKey, KeyType: 'HASH' }]);
        expect(await store.requests()).toEqual({ DescribeTable: 1 });
        expect(store.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(store.functionEnvironment()).toEqual({ SHARED_TABLE_TIMEOUT_MS: '3000' });
      } finally {
        await store.close();
      }
    });

    it('uses the table a store kept from a last run', async () => {
      const first = await connectDynamoDb(moto.url);
      await first.close();

      const again = await connectDynamoDb(moto.url);
      await again.close();

      expect(again.tableName).toBe(LOCAL_SHARED_TABLE);
    });

    it('refuses a web page (a request with an Origin), as the dynalite store does', async () => {
      const store = await connectDynamoDb(moto.url);
      try {
        const response = await fetch(store.url, {
          method: 'POST',
          headers: { origin: 'https://evil.example' },
          body: '{}',
        });

        expect(response.status).toBe(403);
      } finally {
        await store.close();
      }
    });
  },
);

describe('a DynamoDB endpoint that is not there', () => {
  it('fails to connect, naming the endpoint', async () => {
    const error = await connectDynamoDb('http://127.0.0.1:9').catch((e: unknown) => e as Error);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^DynamoDB endpoint http:\/\/127\.0\.0\.1:9: /);
  });

  it('refuses an endpoint that is not an http(s) URL', async () => {
    await expect(connectDynamoDb('ftp://127.0.0.1:21')).rejects.toThrow(
      'DynamoDB endpoint ftp://127.0.0.1:21 is not an http:// or https:// URL',
    );
  });
});
