// Checked by `tsc --noEmit` (`npm run build`, the first step of `npm test`) and never run: a stack without its
// config section does not compile, so no stack checks for its section at run time. Each stack is built once with
// its section, which must compile, and once without, which must not: tsc fails on an `@ts-expect-error` line
// that compiles.
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EnvironmentCommon, KeylessConfig } from '../../lib/config';
import { AuditStack } from '../../lib/stacks/audit-stack';
import { DataStack } from '../../lib/stacks/data-stack';
import { DeploymentStack } from '../../lib/stacks/deployment-stack';
import { FleetStack } from '../../lib/stacks/fleet-stack';
import { FunnelStack } from '../../lib/stacks/funnel-stack';
import { IotAccessStack } from '../../lib/stacks/iot-access-stack';
import { KryptonAccessStack } from '../../lib/stacks/krypton-access-stack';
import { NetworkStack } from '../../lib/stacks/network-stack';

declare const scope: Construct;
declare const config: Required<KeylessConfig>;
declare const secretsKey: kms.IKey;
const environment: EnvironmentCommon = config;

new AuditStack(scope, 'Audit', { environment, audit: config.audit });
// @ts-expect-error -- an AuditStack without the audit section
new AuditStack(scope, 'Audit', { environment });

new DataStack(scope, 'Data', { environment, data: config.data });
// @ts-expect-error -- a DataStack without the data section
new DataStack(scope, 'Data', { environment });

new DeploymentStack(scope, 'Deployment', { environment, deployment: config.deployment });
// @ts-expect-error -- a DeploymentStack without the deployment section
new DeploymentStack(scope, 'Deployment', { environment });

new FleetStack(scope, 'Fleet', { environment, iot: config.iot, shard: 1, things: [] });
// @ts-expect-error -- a FleetStack without the iot section
new FleetStack(scope, 'Fleet', { environment, shard: 1, things: [] });

new FunnelStack(scope, 'Funnel', { environment, funnel: config.funnel });
// @ts-expect-error -- a FunnelStack without the funnel section
new FunnelStack(scope, 'Funnel', { environment });

new IotAccessStack(scope, 'IotAccess', { environment, iot: config.iot, secretsKey });
// @ts-expect-error -- an IotAccessStack without the iot section
new IotAccessStack(scope, 'IotAccess', { environment, secretsKey });

new KryptonAccessStack(scope, 'KryptonAccess', { environment, krypton: config.krypton });
// @ts-expect-error -- a KryptonAccessStack without the krypton section
new KryptonAccessStack(scope, 'KryptonAccess', { environment });

new NetworkStack(scope, 'Network', { environment, closedNetwork: config.closedNetwork });
// @ts-expect-error -- a NetworkStack without the closedNetwork section
new NetworkStack(scope, 'Network', { environment });
