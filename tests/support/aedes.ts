/** An in-process aedes MQTT broker (MQTT 3.1.1) on a free 127.0.0.1 port, for Node tests and benches. */
import { createServer, type Socket } from 'node:net';
import { Aedes } from 'aedes';

export interface AedesBroker {
  url: string;
  /** Drops every connection and closes the listener and the broker (the "broker gone" case). */
  close(): Promise<void>;
}

export async function startAedes(): Promise<AedesBroker> {
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    broker.handle(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}
