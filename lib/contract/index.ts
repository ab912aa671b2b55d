/**
 * The contract every layer reads: stack and physical names, the bucket and repository layouts, stack outputs,
 * the numbers the device helper agrees on, and AWS limits and name rules. Nothing here reads a file, the
 * environment or AWS: it only names things.
 */
export * from './bucket-layout';
export * from './compliance';
export * from './deployment';
export * from './device-defender';
export * from './device-helper';
export * from './device-lifecycle';
export * from './external-id';
export * from './limits';
export * from './names';
export * from './outputs';
export * from './quarantine-deny';
export * from './repository-layout';
export * from './soracom-principals';
export * from './stateful-resources';
export * from './verify';
