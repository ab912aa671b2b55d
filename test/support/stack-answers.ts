import type { DescribeStacksCommandOutput, StackStatus } from '@aws-sdk/client-cloudformation';

/** CloudFormation's DescribeStacks answer for one deployed stack with these outputs. */
export function deployedStackAnswer(
  stackName: string,
  outputs: Readonly<Record<string, string>>,
  status: StackStatus = 'UPDATE_COMPLETE',
): Omit<DescribeStacksCommandOutput, '$metadata'> {
  return {
    Stacks: [
      {
        StackName: stackName,
        StackStatus: status,
        CreationTime: new Date(0),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  };
}
