import { Logger } from '@aws-lambda-powertools/logger';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SORACOM_PRINCIPALS } from '../../contract/soracom-principals';
import { SoracomClient } from '../../soracom/api-client';
import { iamAccessKeys, readSoracomAuthKey, ssmStateStore } from './aws-stores';
import {
  ROTATION_ACTIONS,
  runRotation,
  type RotationAction,
  type RotationDeps,
  type RotationResult,
} from './rotation';
import { embeddedMetricLine, readSettings, type FunctionSettings } from './settings';

// Module scope: reused across warm invocations. Endpoints come from AWS_ENDPOINT_URL_<SERVICE> when set.
const iam = new IAMClient({});
const ssm = new SSMClient({});
const secrets = new SecretsManagerClient({});
// Made at the first invocation: its service name (POWERTOOLS_SERVICE_NAME) says whose key this function rotates.
let logger: Logger | undefined;

/** What the schedules send; an on-demand `aws lambda invoke` without a payload rotates. */
export interface RotationEvent {
  readonly action?: RotationAction;
}

/** The clients and hooks behind the handler; tests replace the clock, the sleep and the output. */
export interface HandlerContext {
  readonly iam: IAMClient;
  readonly ssm: SSMClient;
  readonly secrets: SecretsManagerClient;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly writeMetric?: (line: string) => void;
}

/** The rotation's dependencies, backed by AWS and the SORACOM API. */
export function rotationDeps(settings: FunctionSettings, context: HandlerContext): RotationDeps {
  const sleep = context.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = context.now ?? (() => new Date());
  const writeMetric = context.writeMetric ?? ((line: string) => void process.stdout.write(`${line}\n`));
  return {
    keys: iamAccessKeys(context.iam, settings.userName),
    state: ssmStateStore(
      context.ssm,
      settings.stateParameterName,
      SORACOM_PRINCIPALS[settings.rotation.principal].label,
    ),
    soracom: async () => {
      const authKey = await readSoracomAuthKey(context.secrets, settings.authKeySecretId);
      return SoracomClient.login({ endpoint: settings.soracomEndpoint, ...authKey, sleep });
    },
    log: {
      info: (message, attributes) => context.logger.info(message, attributes ?? {}),
      warn: (message, attributes) => context.logger.warn(message, attributes ?? {}),
    },
    now,
    sleep,
    metric: (name, value, unit) =>
      writeMetric(
        embeddedMetricLine(
          settings.metricNamespace,
          { Environment: settings.environmentName },
          name,
          value,
          unit,
          now().getTime(),
        ),
      ),
  };
}

/** Runs one rotation step set; throws (so the Errors alarm sees it) when the run could not finish. */
export async function rotate(
  event: RotationEvent | null | undefined,
  context: HandlerContext,
): Promise<RotationResult> {
  const action = event?.action ?? 'rotate';
  if (!ROTATION_ACTIONS.includes(action)) {
    throw new Error(
      `Unknown action ${String(action)}: expected ${ROTATION_ACTIONS.map((a) => `"${a}"`).join(', ')}`,
    );
  }
  try {
    const settings = readSettings(process.env);
    return await runRotation(rotationDeps(settings, context), settings.rotation, action);
  } catch (error) {
    // Only the name and message: every error this code raises is written without secrets, and SDK errors
    // name the operation, not the request.
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    context.logger.error('Rotation failed; the previous access key stays active', {
      errorName: name,
      errorMessage: message,
    });
    throw error;
  }
}

export const handler = (event: RotationEvent | null | undefined): Promise<RotationResult> =>
  rotate(event, { iam, ssm, secrets, logger: (logger ??= new Logger()) });
