/**
 * What a device agent inside an xsnap worker gets from Node through the
 * worker's synchronous host commands (bench/xs-handler.ts `askHost`): its
 * random bytes (`random`) and its network (`send`; inbound envelopes come
 * in as commands of the payload's own). Shared by the story payload
 * (hosts/xs/device-payload.ts) and the simulator's (simulator/xs-payload.ts).
 */
import { askHost } from '../../bench/xs-handler.ts';
import { installCrypto } from '../../protocols/crypto/index.ts';
import { DidcommError } from '../../protocols/errors.ts';
import { MemoryNetwork } from '../../device/testing/memory-host.ts';
import type { DeviceTransport, InboundHandler } from '../../device/host.ts';

const decoder = new TextDecoder();

/** Random bytes from Node (the worker has no entropy source of its own). */
export function installHostRandom(): void {
  installCrypto({
    randomBytes(length: number) {
      const r = askHost({ op: 'random', length });
      if (r.length !== length) throw new Error('short random');
      return r;
    },
  });
}

/** The device's network: inbound comes from Node as commands (`inbound`), outbound goes to Node (`send`). */
export class ForwardingNetwork extends MemoryNetwork {
  inbound: InboundHandler | undefined;
  override transport(endpoint: string): DeviceTransport {
    return {
      endpoint,
      send: async (to, packed) => {
        const r = JSON.parse(decoder.decode(askHost({ op: 'send', endpoint: to, packed }))) as { reply?: string | null; error?: string };
        if (r.error !== undefined) throw new DidcommError('didcomm.transport_failed', r.error);
        return r.reply ?? undefined;
      },
      listen: (handler) => void (this.inbound = handler),
    };
  }
}
