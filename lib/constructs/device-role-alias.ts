import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { LIMITS, NAME_RULES } from '../contract';
import { checkName, checkRange } from './prop-checks';

export interface DeviceRoleAliasProps {
  /** The alias name devices put in the credentials provider URL: `[\w=,@-]{1,128}`. */
  readonly roleAliasName: string;
  /** The role the credentials provider assumes. */
  readonly role: iam.IRole;
  /**
   * Lifetime of the credentials handed out: 900-43200 seconds, and at most the role's MaxSessionDuration
   * (the credentials provider answers 400 otherwise).
   * @default Duration.hours(1)
   */
  readonly credentialDuration?: Duration;
  /**
   * The role's MaxSessionDuration, to check credentialDuration against.
   * @default - not checked
   */
  readonly roleMaxSessionDuration?: Duration;
}

/**
 * `arn:<partition>:iot:<region>:<account>:rolealias/<name>`, built from the name: whatever must name the alias
 * (the IoT policy, the role's trust) needs no reference to the alias resource, which itself references the role.
 */
export function roleAliasArn(scope: Construct, roleAliasName: string): string {
  return Stack.of(scope).formatArn({
    service: 'iot',
    resource: 'rolealias',
    resourceName: roleAliasName,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** The AWS IoT role alias: what a device names to get credentials for the role behind it. */
export class DeviceRoleAlias extends Construct {
  public readonly roleAlias: iot.CfnRoleAlias;
  public readonly roleAliasName: string;
  /** `arn:<partition>:iot:<region>:<account>:rolealias/<name>`, built from the name so policies need no token. */
  public readonly roleAliasArn: string;

  constructor(scope: Construct, id: string, props: DeviceRoleAliasProps) {
    super(scope, id);
    const name = props.roleAliasName;
    checkName('roleAliasName', NAME_RULES.roleAliasName, name);
    const seconds = (props.credentialDuration ?? Duration.hours(1)).toSeconds();
    checkRange('credentialDuration', LIMITS.credentialDurationSeconds, seconds);
    const maxSession = props.roleMaxSessionDuration?.toSeconds();
    if (maxSession !== undefined && seconds > maxSession) {
      throw new Error(
        `credentialDuration must not exceed the role's MaxSessionDuration (${maxSession} seconds), got: ${seconds}`,
      );
    }

    this.roleAlias = new iot.CfnRoleAlias(this, 'Resource', {
      roleAlias: name,
      roleArn: props.role.roleArn,
      credentialDurationSeconds: seconds,
    });
    this.roleAliasName = name;
    this.roleAliasArn = roleAliasArn(this, name);
  }
}
