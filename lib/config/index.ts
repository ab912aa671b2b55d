export * from './fleet';
export * from './load';
export * from './schema';
export type { ClosedNetworkConfig } from './sections/closed-network';
export type { FunnelConfig } from './sections/funnel';
export type { IotConfig, ThingConfig } from './sections/iot';
export type { KryptonConfig } from './sections/krypton';
