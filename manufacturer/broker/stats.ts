/**
 * The broker's counters: connected devices and messages, refusals by
 * reason. Plain numbers the service's metrics (Prometheus, later) read
 * through `stats()`; a snapshot, so readers cannot change the broker's own.
 */
export interface BrokerStats {
  /** Device connections open now. */
  devicesConnected: number;
  /** Service connections open now. */
  servicesConnected: number;
  /** Connections accepted since start (devices + service). */
  connectionsAccepted: number;
  /** CONNECTs refused since start, total and by BrokerError code (`broker.expired`, `broker.replayed`, …). */
  connectionsRefused: number;
  refusedByReason: Record<string, number>;
  /** PUBLISH packets accepted from clients. */
  messagesIn: number;
  /** Payload bytes of those. */
  bytesIn: number;
  /** Messages handed to subscribers (one per subscriber). */
  messagesDelivered: number;
  /** SUBSCRIBE topics refused (SUBACK 0x80). */
  subscriptionsRefused: number;
  /** PUBLISH packets refused (the connection is closed, MQTT-3.3.5-2). */
  publishesRefused: number;
  /** Deliveries withheld at forwarding (a restored or stale subscription the ACL no longer allows). */
  deliveriesWithheld: number;
  /** Token ids held by the replay memory. */
  replayCacheEntries: number;
}

export type MutableStats = Omit<BrokerStats, 'refusedByReason' | 'replayCacheEntries'> & { refusedByReason: Map<string, number> };

export function newStats(): MutableStats {
  return {
    devicesConnected: 0,
    servicesConnected: 0,
    connectionsAccepted: 0,
    connectionsRefused: 0,
    refusedByReason: new Map(),
    messagesIn: 0,
    bytesIn: 0,
    messagesDelivered: 0,
    subscriptionsRefused: 0,
    publishesRefused: 0,
    deliveriesWithheld: 0,
  };
}

export function countRefusal(s: MutableStats, code: string): void {
  s.connectionsRefused++;
  s.refusedByReason.set(code, (s.refusedByReason.get(code) ?? 0) + 1);
}

export function snapshot(s: MutableStats, replayCacheEntries: number): BrokerStats {
  return { ...s, refusedByReason: Object.fromEntries(s.refusedByReason), replayCacheEntries };
}
