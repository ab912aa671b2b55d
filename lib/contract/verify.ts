/**
 * `keyless verify`: the read-only AWS actions it calls. The operator's credentials need them, and the Deployment
 * stack's verify role (what the deploy workflow's verify job assumes) is granted exactly these. A test checks that
 * every AWS SDK command the verify code sends is listed here.
 */
export const VERIFY_ACTIONS = [
  'sts:GetCallerIdentity',
  'cloudformation:DescribeStacks',
  'cloudformation:GetTemplate',
  'cloudformation:GetStackPolicy',
  // The physical name of each principal the isolation questions name (a rotation role has no output).
  'cloudformation:DescribeStackResource',
  'iam:GetRole',
  'iam:SimulatePrincipalPolicy',
  'iot:DescribeRoleAlias',
  'iot:DescribeThing',
  'iot:ListThingPrincipals',
  'iot:TestAuthorization',
  'cognito-identity:DescribeIdentityPool',
  'ec2:DescribeVpcEndpoints',
  // The device bucket's policy, which SimulatePrincipalPolicy evaluates with the closed-prefix questions.
  's3:GetBucketPolicy',
] as const;
export type VerifyAction = (typeof VERIFY_ACTIONS)[number];
