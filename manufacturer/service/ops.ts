/**
 * Operations endpoints, as a fastify plugin:
 *
 *   GET /metrics        Prometheus text format (prom-client): connected devices, registered devices,
 *                       MQTT messages and connections, DIDComm messages handled, rollouts by state
 *   GET /openapi.json   the OpenAPI 3 document of every route (@fastify/swagger, from the route schemas)
 *   GET /healthz        {status: "ok"} while the service runs
 *
 * Choice: /metrics is not behind the staff sign-in (scrapers have no
 * session); it reveals counts only, and the service listens on the
 * configured host — put it behind the operator's network policy.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Broker } from '../broker/index.ts';
import type { DeviceRegistry } from '../devices/registry.ts';
import type { ServiceAgent } from '../didcomm/service-agent.ts';
import type { ReleaseService } from '../releases/index.ts';
import { ROLLOUT_STATES } from '../releases/index.ts';

export interface OpsPluginOptions {
  broker: Broker;
  registry: DeviceRegistry;
  releases: ReleaseService;
  agent: ServiceAgent;
}

export async function opsPlugin(app: FastifyInstance, o: OpsPluginOptions): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ssiot_process_' });
  const stats = () => o.broker.stats();
  new Gauge({ name: 'ssiot_connected_devices', help: 'Devices connected to the broker now', registers: [registry], collect() { this.set(stats().devicesConnected); } });
  new Gauge({ name: 'ssiot_registered_devices', help: 'Devices in the registry', registers: [registry], collect() { this.set(o.registry.search({ limit: 1 }).total); } });
  new Gauge({ name: 'ssiot_mqtt_messages_in', help: 'MQTT messages published to the broker since start', registers: [registry], collect() { this.set(stats().messagesIn); } });
  new Gauge({ name: 'ssiot_mqtt_connections_refused', help: 'MQTT connections refused since start', registers: [registry], collect() { this.set(stats().connectionsRefused); } });
  const didcomm = new Counter({ name: 'ssiot_didcomm_messages_total', help: 'DIDComm messages the enterprise agent handled', labelNames: ['transport'], registers: [registry] });
  new Gauge({
    name: 'ssiot_rollouts',
    help: 'Rollouts by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const state of ROLLOUT_STATES) this.set({ state }, o.releases.rollouts.list({ state }).length);
    },
  });
  o.agent.onMessage((transport) => didcomm.inc({ transport }));

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { summary: 'Liveness', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));
}
