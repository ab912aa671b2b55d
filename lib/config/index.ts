export * from './fleet';
export * from './load';
export * from './schema';
export type { AuditConfig } from './sections/audit';
export type { ClosedNetworkConfig } from './sections/closed-network';
export type { DeploymentConfig } from './sections/deployment';
export type { FunnelConfig } from './sections/funnel';
export type { IotConfig, ThingConfig } from './sections/iot';
export type { KryptonConfig } from './sections/krypton';
