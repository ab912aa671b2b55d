import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { STSClient } from '@aws-sdk/client-sts';
import {
  ConfigError,
  DEFAULT_CONFIG_DIR,
  environmentConfigFile,
  parseConfig,
  type FleetThingConfig,
  type KeylessConfig,
} from '../../config';
import { fleetStackName, REPO_ROOT } from '../../contract';
import { layoutFleet } from '../../fleet/placement';
import { operatorClientConfig } from '../operator-clients';
import { deployCommand } from '../deployed-outputs';
import { UsageError } from '../exit-codes';

/**
 * What every `keyless device …` command shares: the environment's config as a file it may edit, the AWS clients
 * it talks through, and where one thing is deployed.
 */

/** The AWS clients the device commands use; tests replace them with `aws-sdk-client-mock`. */
export interface DeviceClients {
  readonly cloudFormation: CloudFormationClient;
  readonly iot: IoTClient;
  readonly sts: STSClient;
  readonly cognitoIdentity: CognitoIdentityClient;
  readonly dynamoDb: DynamoDBClient;
}

/**
 * Clients for the operator's credentials, as `keyless bundle` makes them ({@link operatorClientConfig});
 * endpoints from AWS_ENDPOINT_URL_ CLOUDFORMATION, IOT, STS, COGNITO_IDENTITY and DYNAMODB.
 */
export function createDeviceClients(
  config: KeylessConfig,
  env: NodeJS.ProcessEnv = process.env,
): DeviceClients {
  const common = operatorClientConfig(config, env);
  return {
    cloudFormation: new CloudFormationClient(common),
    iot: new IoTClient(common),
    sts: new STSClient(common),
    cognitoIdentity: new CognitoIdentityClient(common),
    dynamoDb: new DynamoDBClient(common),
  };
}

/** Where the device commands read and write; tests point them at a repository of their own. */
export interface DeviceCommandDeps {
  /** CSRs, keys and `fleet/<env>/shards.json` live under it. @default the repository */
  readonly repoRoot?: string;
  /** `config/<env>.json` lives here. @default the repository's config/ */
  readonly configDir?: string;
  readonly streams?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
  /** @default {@link createDeviceClients} */
  readonly clients?: (config: KeylessConfig) => DeviceClients;
  /** Where SORACOM_AUTH_KEY_ID, SORACOM_AUTH_KEY and SORACOM_API_ENDPOINT are read. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  readonly fetchImpl?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Asks the operator to confirm a destructive step; null when there is no terminal to ask on.
   * @default a prompt on the terminal when stdin and stderr are terminals, else null
   */
  readonly confirm?: ((question: string) => Promise<boolean>) | null;
}

/** An environment's config together with the file it came from, which the command may edit. */
export interface EditableConfig {
  readonly config: KeylessConfig;
  /** The config file, absolute. */
  readonly file: string;
  readonly repoRoot: string;
  /** Validates an edited document as the loader would (CSRs and the shard lock included); throws ConfigError. */
  readonly validate: (raw: unknown) => void;
}

/** Loads `config/<env>.json` for a command that may write it back. */
export function loadEditableConfig(envName: string, deps: DeviceCommandDeps = {}): EditableConfig {
  const repoRoot = deps.repoRoot ?? REPO_ROOT;
  const configDir = deps.configDir ?? DEFAULT_CONFIG_DIR;
  const file = environmentConfigFile(envName, configDir);
  const parse = (raw: unknown): KeylessConfig => parseConfig(raw, envName, shown(file), repoRoot);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      [`${shown(file)}: cannot read JSON: ${error instanceof Error ? error.message : String(error)}`],
      envName,
    );
  }
  return { config: parse(raw), file, repoRoot, validate: (edited) => void parse(edited) };
}

/** One configured thing and the Fleet stack that holds it. */
export interface PlacedThing {
  readonly thing: FleetThingConfig;
  readonly shard: number;
  readonly stackName: string;
  /** The command that deploys its Fleet stack. */
  readonly deployCommand: string;
}

/** The thing named on the command line, or a usage error listing the things the config has. */
export function placedThing(config: KeylessConfig, thingName: string): PlacedThing {
  if (!config.iot || !config.fleet) {
    throw new ConfigError(
      `${config.configFile}: no iot section, so environment ${config.envName} has no things`,
    );
  }
  const layout = layoutFleet(config.fleet.things, config.fleet.shardLock);
  const placed = layout.things.find((thing) => thing.name === thingName);
  if (!placed) {
    const known = layout.things.map((thing) => thing.name);
    const shownKnown = known.slice(0, 10).join(', ') + (known.length > 10 ? `, … (${known.length})` : '');
    throw new UsageError(
      `${thingName}: not in iot.things of ${config.configFile} (known: ${shownKnown || 'none'})`,
    );
  }
  const stackName = fleetStackName(config.envName, placed.shard);
  return { thing: placed, shard: placed.shard, stackName, deployCommand: deployCommand(config, stackName) };
}

/** A path as the operator would type it: relative to the working directory when below it. */
export function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
