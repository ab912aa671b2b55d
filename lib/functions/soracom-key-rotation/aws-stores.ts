import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  type IAMClient,
  ListAccessKeysCommand,
  NoSuchEntityException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { AccessKey, AccessKeyStore, StateStore } from './rotation';
import { parseState, serializeState } from './state';

/** The access keys of one IAM user; deleting a key that is already gone succeeds (the step is idempotent). */
export function iamAccessKeys(iam: IAMClient, userName: string): AccessKeyStore {
  return {
    async list() {
      const keys: AccessKey[] = [];
      let marker: string | undefined;
      do {
        const page = await iam.send(new ListAccessKeysCommand({ UserName: userName, Marker: marker }));
        for (const key of page.AccessKeyMetadata ?? []) {
          if (key.AccessKeyId === undefined) continue;
          keys.push({
            accessKeyId: key.AccessKeyId,
            status: key.Status === 'Active' ? 'Active' : 'Inactive',
            createDate: key.CreateDate,
          });
        }
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
      return keys;
    },
    async create() {
      const { AccessKey: key } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
      if (key?.AccessKeyId === undefined || key.SecretAccessKey === undefined) {
        throw new Error('CreateAccessKey answered without a key');
      }
      return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
    },
    async deactivate(accessKeyId) {
      await iam.send(
        new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: 'Inactive' }),
      );
    },
    async delete(accessKeyId) {
      try {
        await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
      } catch (error) {
        if (!(error instanceof NoSuchEntityException)) throw error;
      }
    },
    async lastUsed(accessKeyId) {
      const answer = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
      return answer.AccessKeyLastUsed?.LastUsedDate;
    },
  };
}

/** The rotation state in one String parameter (key ids only, so not a SecureString). */
export function ssmStateStore(ssm: SSMClient, parameterName: string, label: string): StateStore {
  return {
    async load() {
      try {
        const answer = await ssm.send(new GetParameterCommand({ Name: parameterName }));
        return parseState(answer.Parameter?.Value);
      } catch (error) {
        // The function creates the parameter on its first save: CloudFormation never owns (or resets) it.
        if (error instanceof ParameterNotFound) return {};
        throw error;
      }
    },
    async save(state) {
      await ssm.send(
        new PutParameterCommand({
          Name: parameterName,
          Value: serializeState(state),
          Type: 'String',
          Overwrite: true,
          Description: `keyless-iot ${label} access key rotation state (key ids only, no secrets)`,
        }),
      );
    },
  };
}

/** The SORACOM auth key the operator put in the secret. Errors never quote the secret's value. */
export async function readSoracomAuthKey(
  secrets: SecretsManagerClient,
  secretId: string,
): Promise<{ authKeyId: string; authKey: string }> {
  let value: string | undefined;
  try {
    value = (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    // A secret created empty has no AWSCURRENT version until the operator puts one.
    if ((error as { name?: string }).name === 'ResourceNotFoundException') value = undefined;
    else throw error;
  }
  const usage =
    'put {"authKeyId":"keyId-…","authKey":"secret-…"} in it (see docs/flows/funnel.md or docs/flows/krypton.md)';
  if (value === undefined || value.trim() === '') {
    throw new Error(`The SORACOM auth key secret has no value yet: ${usage}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`The SORACOM auth key secret is not JSON: ${usage}`);
  }
  const { authKeyId, authKey } = (parsed ?? {}) as { authKeyId?: unknown; authKey?: unknown };
  if (typeof authKeyId !== 'string' || authKeyId === '' || typeof authKey !== 'string' || authKey === '') {
    throw new Error(`The SORACOM auth key secret lacks authKeyId or authKey: ${usage}`);
  }
  return { authKeyId, authKey };
}
