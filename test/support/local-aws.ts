import { mkdtempSync, rmSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Neither package ships type declarations; these are the parts the tests use.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;
type DynaliteFactory = (options: {
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}) => Server;

/** A local S3 (s3rver) on 127.0.0.1. It accepts only access key id and secret `S3RVER`. */
export class LocalS3 {
  url = '';
  private server: S3rverInstance | undefined;
  private readonly directory = mkdtempSync(join(tmpdir(), 'keyless-s3rver-'));

  constructor(private readonly buckets: readonly string[]) {}

  async start(): Promise<{ url: string; port: number }> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const S3rver = require('s3rver') as S3rverConstructor;
    this.server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      directory: this.directory,
      silent: true,
      configureBuckets: this.buckets.map((name) => ({ name })),
    });
    const { port } = await this.server.run();
    this.url = `http://127.0.0.1:${port}`;
    return { url: this.url, port };
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/** A local DynamoDB (dynalite, in memory) on 127.0.0.1. */
export class LocalDynamoDb {
  url = '';
  private server: Server | undefined;

  async start(): Promise<{ url: string; port: number }> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dynalite = require('dynalite') as DynaliteFactory;
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return { url: this.url, port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
