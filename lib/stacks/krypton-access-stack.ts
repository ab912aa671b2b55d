import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { KeylessConfig } from '../config';
import type { KryptonConfig } from '../config/sections/krypton';
import { KryptonDeviceRole } from '../constructs/krypton-device-role';
import { KryptonIdentityPool } from '../constructs/krypton-identity-pool';
import { KryptonSigner } from '../constructs/krypton-signer';
import { emitOutputs } from './stack-outputs';
import { keylessStackProps, removalPolicyOf } from './stack-props';

export interface KryptonAccessStackProps {
  readonly config: KeylessConfig;
}

/**
 * The Krypton flow's AWS side: the identity pool SIM devices get identities in, the role those identities get,
 * and the principal SORACOM Krypton signs `GetOpenIdTokenForDeveloperIdentity` with.
 * Table and bucket ARNs are built from the derived names, so this stack holds no export lock on the Data stack.
 */
export class KryptonAccessStack extends Stack {
  public readonly pool: KryptonIdentityPool;
  public readonly deviceRole: KryptonDeviceRole;
  public readonly signer: KryptonSigner;

  constructor(scope: Construct, id: string, props: KryptonAccessStackProps) {
    const { config } = props;
    super(scope, id, keylessStackProps(config, 'KryptonAccess', 'Cognito identity pool for SORACOM Krypton'));
    const krypton = requireKrypton(config);
    const tableArn = (tableName: string): string =>
      this.formatArn({ service: 'dynamodb', resource: 'table', resourceName: tableName });

    this.pool = new KryptonIdentityPool(this, 'IdentityPool', {
      identityPoolName: krypton.identityPoolName,
      developerProviderName: krypton.developerProviderName,
    });
    this.deviceRole = new KryptonDeviceRole(this, 'DevicePermissions', {
      role: this.pool.authenticatedRole,
      referenceTableArn: tableArn(config.names.referenceTable),
      deviceTableArn: tableArn(config.names.deviceTable),
      bucketName: config.names.deviceBucket,
      // SIMs on the closed network write under the closed prefix, which the bucket policy opens only to the endpoint.
      closedNetworkPrefix: config.closedNetwork?.prefix,
    });
    this.signer = new KryptonSigner(this, 'Signer', {
      identityPoolArn: this.pool.identityPoolArn,
      signer: krypton.signer,
      secretName: config.names.kryptonSignerSecret,
      removalPolicy: removalPolicyOf(config),
    });

    emitOutputs(this, 'KryptonAccess', {
      identityPoolId: this.pool.identityPoolId,
      developerProviderName: this.pool.developerProviderName,
      authenticatedRoleArn: this.pool.authenticatedRole.roleArn,
      signerCredentialsSecretArn: this.signer.credentialsSecret?.secretArn,
      signerRoleArn: this.signer.role?.roleArn,
    });
  }
}

function requireKrypton(config: KeylessConfig): KryptonConfig {
  if (!config.krypton) {
    throw new Error(`KryptonAccessStack needs the krypton section of ${config.configFile}`);
  }
  return config.krypton;
}
