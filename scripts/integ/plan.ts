/**
 * What `npm run integ` decides without AWS: whether it may run at all, the config it deploys, the order it deletes
 * stacks in and what it must delete by hand afterwards. Kept free of AWS calls so the unit tests cover it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig, type KeylessConfig, type KeylessConfigInput } from '../../lib/config';
import {
  configFile,
  follows,
  isStatefulType,
  NAME_RULES,
  PROJECT,
  STACK_PARTS,
  stackName,
  shardOfStackName,
} from '../../lib/contract';

/** The environment the run deploys: its own name, so it can never touch dev or prod stacks. */
export const INTEG_ENV = 'integ';
/** The thing the run enrolls and verifies with (its key stays in fleet/integ/ on the operator's machine). */
export const CANARY_THING = 'keyless-integ-canary';
/** The variable that opts in: the sandbox account id, which must be the account the credentials belong to. */
export const OPT_IN_VARIABLE = 'KEYLESS_INTEG_ACCOUNT';
export const REGION_VARIABLES = ['KEYLESS_INTEG_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION'] as const;

export const INTEG_TEMPLATE = path.join(__dirname, '..', '..', 'test', 'integ', 'integ.template.json');

export class IntegRefusal extends Error {}

export interface OptIn {
  readonly account: string;
  readonly region: string;
}

/**
 * Refuses, before any AWS call, unless the operator named the sandbox account explicitly and a region, and the
 * account is none a config of the repository deploys with removalPolicy retain (production).
 */
export function requireOptIn(env: Readonly<Record<string, string | undefined>>, configDir: string): OptIn {
  const wanted = env[OPT_IN_VARIABLE];
  if (wanted === undefined || wanted === '') {
    throw new IntegRefusal(
      `npm run integ deploys the "${INTEG_ENV}" environment to an AWS account and then deletes everything it made, ` +
        `retained data included. Run it only against a throwaway sandbox account, and say which: ` +
        `${OPT_IN_VARIABLE}=<its 12-digit account id> npm run integ`,
    );
  }
  if (!follows(NAME_RULES.accountId, wanted)) {
    throw new IntegRefusal(
      `${OPT_IN_VARIABLE}=${JSON.stringify(wanted)} is not an account id: expected ${NAME_RULES.accountId.description}`,
    );
  }
  const production = retainAccounts(configDir).filter((entry) => entry.account === wanted);
  if (production.length > 0) {
    throw new IntegRefusal(
      `account ${wanted} is the account of ${production.map((entry) => entry.file).join(', ')} ` +
        '(removalPolicy "retain": production); npm run integ deletes what it made, so it runs only in a sandbox account',
    );
  }
  const region = REGION_VARIABLES.map((name) => env[name]).find(
    (value) => value !== undefined && value !== '',
  );
  if (!region) {
    throw new IntegRefusal(
      `no region: set one of ${REGION_VARIABLES.join(', ')} (e.g. KEYLESS_INTEG_REGION=us-east-1)`,
    );
  }
  if (!follows(NAME_RULES.region, region)) {
    throw new IntegRefusal(`region ${JSON.stringify(region)} is not ${NAME_RULES.region.description}`);
  }
  return { account: wanted, region };
}

/** Refuses unless the credentials in use belong to the account the operator opted in. */
export function requireCallerAccount(optIn: OptIn, callerAccount: string | undefined): void {
  if (callerAccount !== optIn.account) {
    throw new IntegRefusal(
      `${OPT_IN_VARIABLE} is ${optIn.account}, but the AWS credentials in use are for account ` +
        `${callerAccount ?? '(none)'}: nothing was deployed. Use credentials of the sandbox account ` +
        '(AWS_PROFILE=…), or correct the variable.',
    );
  }
}

/** The accounts of the repository's configs that retain state (production), read leniently: any readable JSON. */
function retainAccounts(configDir: string): { file: string; account: string }[] {
  if (!fs.existsSync(configDir)) return [];
  return fs
    .readdirSync(configDir)
    .filter(
      (file) => file.endsWith('.json') && !file.endsWith('.example.json') && file !== 'keyless.schema.json',
    )
    .flatMap((file) => {
      try {
        const raw = JSON.parse(fs.readFileSync(path.join(configDir, file), 'utf8')) as Record<
          string,
          unknown
        >;
        return raw.removalPolicy === 'retain' && typeof raw.account === 'string'
          ? [{ file: configFile(file.replace(/\.json$/, '')), account: raw.account }]
          : [];
      } catch {
        return [];
      }
    });
}

/** What the run writes to config/integ.json: the template with the sandbox's account, region and zones. */
export interface IntegSettings extends OptIn {
  /** Two availability zones of the region the account can use. */
  readonly availabilityZones: readonly [string, string];
  /** Fresh per run: the SORACOM roles' external ids are secrets, so none is in the repository. */
  readonly externalIds: { readonly krypton: string; readonly funnel: string };
}

export function integConfigInput(settings: IntegSettings): KeylessConfigInput {
  const raw = JSON.parse(fs.readFileSync(INTEG_TEMPLATE, 'utf8')) as Record<string, unknown> &
    KeylessConfigInput;
  delete raw.description;
  raw.account = settings.account;
  raw.region = settings.region;
  const closed = raw.closedNetwork as { vpc: { availabilityZones: string[] } };
  closed.vpc.availabilityZones = [...settings.availabilityZones];
  (raw.krypton as { signer: { externalId: string } }).signer.externalId = settings.externalIds.krypton;
  (raw.funnel as { publisher: { externalId: string } }).publisher.externalId = settings.externalIds.funnel;
  return raw;
}

/** The integ config as synth sees it (validated by the project's own schema). */
export function integConfig(settings: IntegSettings, repoRoot?: string): KeylessConfig {
  return parseConfig(integConfigInput(settings), INTEG_ENV, configFile(INTEG_ENV), repoRoot);
}

/**
 * The order to delete the environment's stacks in: Fleet stacks first (they name the IoT policy and thing type),
 * then the parts in reverse build order (KryptonAccess before Data, Data before Network).
 */
export function deletionOrder(stackNames: readonly string[]): string[] {
  const fleet = stackNames
    .filter((name) => shardOfStackName(INTEG_ENV, name) !== undefined)
    .sort((a, b) => shardOfStackName(INTEG_ENV, b)! - shardOfStackName(INTEG_ENV, a)!);
  const parts = [...STACK_PARTS].reverse().map((part) => stackName(INTEG_ENV, part));
  const others = stackNames.filter((name) => !fleet.includes(name) && !parts.includes(name));
  if (others.length > 0) {
    throw new IntegRefusal(`not a stack of the ${INTEG_ENV} environment: ${others.join(', ')}`);
  }
  return [...fleet, ...parts.filter((name) => stackNames.includes(name))];
}

/** A resource CloudFormation made, as ListStackResources reports it. */
export interface MadeResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
}

/**
 * What the run deletes itself after the stacks are gone: every stateful resource (a retained one outlives its
 * stack; a failed stack deletion leaves others), plus the SSM parameters the key rotations create outside
 * CloudFormation. Deleting one that is already gone is not an error.
 */
export function leftoverCandidates(made: readonly MadeResource[]): MadeResource[] {
  return made.filter((resource) => isStatefulType(resource.type) && resource.physicalId !== '');
}

/** Where the rotation functions keep their state (made by the functions, never by CloudFormation). */
export const ROTATION_STATE_PARAMETER_PREFIX = `/${PROJECT}/${INTEG_ENV}/`;
