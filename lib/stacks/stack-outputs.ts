import { CfnOutput, type Stack } from 'aws-cdk-lib';
import { certificateIdOutput, OUTPUTS, type StackOutput, type StackPart } from '../contract';

type PartOutputs<P extends StackPart> = (typeof OUTPUTS)[P];

/** The value of every output of a part: required unless the contract emits it only in some configurations. */
export type OutputValues<P extends StackPart> = {
  readonly [K in keyof PartOutputs<P> as PartOutputs<P>[K] extends StackOutput<P, true> ? never : K]: string;
} & {
  readonly [K in keyof PartOutputs<P> as PartOutputs<P>[K] extends StackOutput<P, true> ? K : never]?: string;
};

/**
 * Emits the outputs the contract (lib/contract/outputs.ts) lists for one stack part, with its keys and
 * descriptions: a stack cannot emit an output the CLI does not know, nor leave out one it reads.
 */
export function emitOutputs<P extends StackPart>(stack: Stack, part: P, values: OutputValues<P>): void {
  const given = values as Readonly<Record<string, string | undefined>>;
  for (const [name, spec] of Object.entries(OUTPUTS[part]) as [string, StackOutput][]) {
    const value = given[name];
    if (value === undefined) {
      if (spec.onlyWhen === undefined) throw new Error(`${stack.stackName} must emit the output ${spec.key}`);
      continue;
    }
    new CfnOutput(stack, spec.key, { value, description: spec.description });
  }
}

/** The certificate id of one thing, for the bundle command to find after deployment. */
export function emitCertificateIdOutput(stack: Stack, thingName: string, certificateId: string): void {
  const spec = certificateIdOutput(thingName);
  new CfnOutput(stack, spec.key, { value: certificateId, description: spec.description });
}
