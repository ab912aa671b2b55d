import { EmulatorAnswer, EmulatorRequest, EmulatorServer } from './emulator-server';

/**
 * AWS Secrets Manager, `GetSecretValue` only (JSON 1.1 protocol). It does not check signatures: what the
 * tests prove is that the example signs with the helper's credentials and handles the answers.
 */
export class SecretsManagerEmulator extends EmulatorServer {
  private readonly secrets = new Map<string, string>();
  /** Access key ids seen in the Authorization header of requests. */
  readonly accessKeyIds: string[] = [];

  constructor(tls: { certPem: string; keyPem: string }) {
    super(tls);
  }

  putSecret(name: string, value: string): void {
    this.secrets.set(name, value);
  }

  protected route(request: EmulatorRequest): EmulatorAnswer {
    const credential = /Credential=([^/]+)\//.exec(String(request.headers.authorization ?? ''));
    if (credential) this.accessKeyIds.push(credential[1]);
    if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
      return { status: 400, body: { __type: 'UnknownOperationException', message: 'unsupported operation' } };
    }
    const { SecretId: id } = JSON.parse(request.body) as { SecretId?: string };
    const value = id === undefined ? undefined : this.secrets.get(id);
    if (id === undefined || value === undefined) {
      return {
        status: 400,
        body: {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        },
      };
    }
    return {
      status: 200,
      body: {
        ARN: `arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:${id}-AbCdEf`,
        Name: id,
        VersionId: '00000000-0000-4000-8000-000000000001',
        SecretString: value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Math.floor(Date.now() / 1000),
      },
    };
  }
}
