import { isSoracomPrincipal, SORACOM_PRINCIPALS } from '../../contract/soracom-principals';
import { soracomEndpoint, type SoracomCoverage } from '../../soracom/api-client';
import type { RotationSettings, RotationStrategy } from './rotation';

/** Everything the function is told by its environment (set by the SoracomKeyRotation construct). */
export interface FunctionSettings {
  /** The IAM user whose keys rotate. */
  readonly userName: string;
  readonly authKeySecretId: string;
  readonly stateParameterName: string;
  /** `SORACOM_API_ENDPOINT` when set (tests, proxies), otherwise the coverage's endpoint. */
  readonly soracomEndpoint: string;
  readonly rotation: RotationSettings;
  readonly metricNamespace: string;
  readonly environmentName: string;
}

/** Environment variable names, shared with the construct that sets them. */
export const ENV = {
  principal: 'ROTATED_PRINCIPAL',
  userName: 'IAM_USER_NAME',
  authKeySecretId: 'SORACOM_AUTH_KEY_SECRET_ID',
  stateParameterName: 'ROTATION_STATE_PARAMETER',
  coverage: 'SORACOM_COVERAGE',
  endpoint: 'SORACOM_API_ENDPOINT',
  strategy: 'ROTATION_STRATEGY',
  credentialId: 'SORACOM_CREDENTIAL_ID',
  credentialPrefix: 'SORACOM_CREDENTIAL_PREFIX',
  periodDays: 'ROTATION_PERIOD_DAYS',
  graceDays: 'ROTATION_GRACE_DAYS',
  keyPropagationSeconds: 'KEY_PROPAGATION_SECONDS',
  metricNamespace: 'METRIC_NAMESPACE',
  environmentName: 'ENVIRONMENT_NAME',
} as const;

/** Reads and checks the environment; a missing or bad variable names itself (values here are not secret). */
export function readSettings(env: NodeJS.ProcessEnv): FunctionSettings {
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`Environment variable ${name} is not set`);
    return value;
  };
  const days = (name: string): number => {
    const value = Number(required(name));
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(
        `Environment variable ${name} must be a positive whole number of days, got ${env[name]}`,
      );
    }
    return value;
  };
  const principal = required(ENV.principal);
  if (!isSoracomPrincipal(principal)) {
    throw new Error(
      `Environment variable ${ENV.principal} must be one of ${Object.keys(SORACOM_PRINCIPALS).join(', ')}, got ${principal}`,
    );
  }
  const coverage = required(ENV.coverage);
  if (coverage !== 'jp' && coverage !== 'global') {
    throw new Error(`Environment variable ${ENV.coverage} must be jp or global, got ${coverage}`);
  }
  const strategyType = required(ENV.strategy);
  let strategy: RotationStrategy;
  if (strategyType === 'update-in-place') {
    strategy = { type: strategyType, credentialId: required(ENV.credentialId) };
  } else if (strategyType === 'new-credential') {
    strategy = { type: strategyType, credentialPrefix: required(ENV.credentialPrefix) };
  } else {
    throw new Error(
      `Environment variable ${ENV.strategy} must be update-in-place or new-credential, got ${strategyType}`,
    );
  }
  const propagation = Number(env[ENV.keyPropagationSeconds] ?? '15');
  return {
    userName: required(ENV.userName),
    authKeySecretId: required(ENV.authKeySecretId),
    stateParameterName: required(ENV.stateParameterName),
    soracomEndpoint: env[ENV.endpoint] || soracomEndpoint(coverage as SoracomCoverage),
    rotation: {
      principal,
      strategy,
      periodDays: days(ENV.periodDays),
      graceDays: days(ENV.graceDays),
      keyPropagationSeconds: Number.isFinite(propagation) && propagation >= 0 ? propagation : 15,
    },
    metricNamespace: required(ENV.metricNamespace),
    environmentName: env[ENV.environmentName] || 'unknown',
  };
}

/**
 * One CloudWatch metric value as an embedded-metric-format log line: CloudWatch Logs turns it into a metric,
 * so the function needs no cloudwatch:PutMetricData permission.
 */
export function embeddedMetricLine(
  namespace: string,
  dimensions: Readonly<Record<string, string>>,
  name: string,
  value: number,
  unit: string,
  timestamp: number,
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: [{ Name: name, Unit: unit }],
        },
      ],
    },
    ...dimensions,
    [name]: value,
  });
}
