/**
 * No native X25519/Ed25519 on this build (mac, win: no libsodium linked);
 * moddableCrypto then leaves them on the pure-JS noble provider. Stands in
 * for curve25519.ts (hosts/moddable/modules.ts FAMILIES).
 */
import type { NativeCurve25519 } from './crypto.ts';

export const curve25519: NativeCurve25519 | undefined = undefined;
