/**
 * Who is connecting: the service (username `service`, a shared secret) or
 * a registered device (username = its did:key, password = a broker token
 * it signed, protocols/didcomm/transports/mqtt-auth.ts). Everyone else is
 * refused. Returns the connection's principal or throws a BrokerError whose
 * code the broker logs and counts (the client only sees "not authorized").
 *
 * Device checks, in order (cheap and stateless first, the replay memory
 * last so only fully valid tokens take a place in it):
 *  1. the token verifies (signature by the DID's key, audience, lifetime,
 *     time window with the configured skew);
 *  2. its `iss` is the username;
 *  3. the registry knows the device;
 *  4. the MQTT client id is clientIdFor() of one of its DIDs — so no device
 *     can take over another's session (MQTT-3.1.4-2 would disconnect the
 *     holder and hand its persistent session to the newcomer);
 *  5. its `jti` was not seen while the token is acceptable.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createReplayGuard, type MemoryReplayGuard } from '../../protocols/didcomm/replay.ts';
import {
  brokerTokenAcceptedUntil,
  MAX_BROKER_TOKEN_LENGTH,
  MAX_BROKER_TOKEN_LIFETIME_SECONDS,
  verifyBrokerToken,
} from '../../protocols/didcomm/transports/mqtt-auth.ts';
import { BrokerError, isSsiotError } from '../../protocols/errors.ts';
import { devicePrincipal, type DeviceDirectory, type DevicePrincipal, type Principal } from './acl.ts';

/** The username of the privileged service principal. */
export const SERVICE_USERNAME = 'service';
/** Shortest service secret accepted (characters). */
export const MIN_SERVICE_SECRET_LENGTH = 16;

export interface AuthenticatorOptions {
  /** The broker/service id device tokens must name as `aud`. */
  audience: string;
  /** The service principal's password. */
  serviceSecret: string;
  devices: DeviceDirectory;
  /** Tolerated device clock disagreement, seconds (mqtt-auth.ts; default 300). */
  maxSkewSeconds: number;
  /** Token ids remembered at most (replay memory; default 100,000 ≈ 10 MB). */
  replayCacheEntries: number;
  /** Epoch milliseconds. */
  now: () => number;
}

export interface Authenticator {
  authenticate(username: string | undefined, password: Uint8Array | undefined, clientId: string): Promise<Principal>;
  /** A fresh registry view of a connected device (undefined: no longer registered). */
  refresh(did: string): Promise<DevicePrincipal | undefined>;
  readonly replay: MemoryReplayGuard;
}

const digest = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

export function createAuthenticator(o: AuthenticatorOptions): Authenticator {
  if (typeof o.serviceSecret !== 'string' || o.serviceSecret.length < MIN_SERVICE_SECRET_LENGTH) {
    throw new BrokerError('broker.invalid_argument', `serviceSecret must be at least ${MIN_SERVICE_SECRET_LENGTH} characters`);
  }
  if (!o.devices || typeof o.devices.lookup !== 'function') throw new BrokerError('broker.invalid_argument', 'devices.lookup is required');
  // Digests of equal length, so timingSafeEqual never leaks the secret's length either.
  const secretDigest = digest(new TextEncoder().encode(o.serviceSecret));
  const replay = createReplayGuard({
    maxEntries: o.replayCacheEntries,
    windowSeconds: MAX_BROKER_TOKEN_LIFETIME_SECONDS + 2 * o.maxSkewSeconds,
  });

  async function refresh(did: string): Promise<DevicePrincipal | undefined> {
    const record = await o.devices.lookup(did);
    return record ? devicePrincipal(did, record) : undefined;
  }

  async function device(did: string, password: Uint8Array | undefined, clientId: string): Promise<DevicePrincipal> {
    if (!password || password.length === 0 || password.length > MAX_BROKER_TOKEN_LENGTH) {
      throw new BrokerError('broker.invalid_token', 'a device password is a broker token');
    }
    const now = o.now();
    const claims = verifyBrokerToken(new TextDecoder().decode(password), { audience: o.audience, now, maxSkewSeconds: o.maxSkewSeconds });
    if (claims.iss !== did) throw new BrokerError('broker.username_mismatch', 'the token was issued by another DID than the username');
    const principal = await refresh(did);
    if (!principal) throw new BrokerError('broker.unknown_device', 'device not registered');
    if (!principal.clientIds.has(clientId)) throw new BrokerError('broker.client_id_mismatch', 'a device client id must be clientIdFor() of one of its DIDs');
    try {
      await replay.check(did, claims.jti, Math.floor(now / 1000), brokerTokenAcceptedUntil(claims, o.maxSkewSeconds));
    } catch (e) {
      if (isSsiotError(e) && e.code === 'didcomm.replayed') throw new BrokerError('broker.replayed', 'broker token already used');
      throw e;
    }
    return principal;
  }

  return {
    async authenticate(username, password, clientId) {
      if (username === SERVICE_USERNAME) {
        const ok = password !== undefined && timingSafeEqual(digest(password), secretDigest);
        if (!ok) throw new BrokerError('broker.not_authorized', 'wrong service secret');
        return { kind: 'service' };
      }
      if (typeof username !== 'string' || !username.startsWith('did:key:')) {
        throw new BrokerError('broker.not_authorized', 'username must be a device did:key or the service');
      }
      return device(username, password, clientId);
    },
    refresh,
    replay,
  };
}
