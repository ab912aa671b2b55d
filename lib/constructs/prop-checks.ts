import { Token } from 'aws-cdk-lib';
import { describeRange, follows, within, type IntegerRange, type NameRule } from '../contract';

/**
 * Constructor checks against the contract's name rules and limits (lib/contract/limits.ts), so a construct
 * refuses exactly what the config schema refuses, in the same words. Tokens are skipped: their values are known
 * at deploy time only.
 */

/** Throws `<what> must be <rule>, got: <value>` unless the value follows the rule. */
export function checkName(what: string, nameRule: NameRule, value: string): void {
  if (!Token.isUnresolved(value) && !follows(nameRule, value)) {
    throw new Error(`${what} must be ${nameRule.description}, got: ${value}`);
  }
}

/** Throws `<what> must be an integer from <min> to <max> <unit>, got: <value>` unless the value is in range. */
export function checkRange(what: string, integers: IntegerRange, value: number): void {
  if (!Token.isUnresolved(value) && !within(integers, value)) {
    throw new Error(`${what} must be ${describeRange(integers)}, got: ${value}`);
  }
}
