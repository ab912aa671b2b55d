import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A stack value the way cdk-nag writes it in a finding, and so in the acknowledgement that answers it: the literal
 * when CDK knows it (a stack with an explicit environment; the partition too, under the
 * `@aws-cdk/core:enablePartitionLiterals` feature flag), else `<AWS::Partition>`, `<AWS::Region>`, `<AWS::AccountId>`.
 */
export function nagRendered(scope: IConstruct, pseudo: 'Partition' | 'Region' | 'AccountId'): string {
  const stack = Stack.of(scope);
  const value = pseudo === 'Partition' ? stack.partition : pseudo === 'Region' ? stack.region : stack.account;
  return Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value;
}
