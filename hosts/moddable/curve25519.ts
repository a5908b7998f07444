/**
 * The native X25519/Ed25519 for this build: `ssiot/curve25519` (libsodium)
 * on the builds that link it (ESP32, lin). hosts/moddable/modules.ts swaps in
 * curve25519-none.ts for the others (mac, win), which then stay on the
 * pure-JS noble path; main.ts passes whichever it gets to moddableCrypto.
 */
import { ed25519PublicKey, ed25519Sign, ed25519Verify, x25519, x25519PublicKey } from 'ssiot/curve25519';
import type { NativeCurve25519 } from './crypto.ts';

export const curve25519: NativeCurve25519 | undefined = { x25519PublicKey, x25519, ed25519PublicKey, ed25519Sign, ed25519Verify };
