/**
 * The manufacturer's MQTT broker (aedes, TCP + WebSocket) with device token
 * authentication and the topic ACL. See broker.ts, and docs/protocols.md
 * "Manufacturer broker: device authentication and topic ACL".
 */
export { startBroker, type Broker, type BrokerLogger, type BrokerOptions } from './broker.ts';
export { SERVICE_USERNAME } from './authenticate.ts';
export type { DeviceDirectory, DeviceRecord } from './acl.ts';
export type { BrokerStats } from './stats.ts';
