/*
 * ssiot/curve25519: X25519 and Ed25519 on libsodium (native: curve25519.c),
 * for the crypto facade (hosts/moddable/crypto.ts, which checks arguments and
 * maps results to the facade's contracts). Arguments and results are
 * ArrayBuffers. Declared in hosts/moddable/types/moddable.d.ts.
 */
function x25519PublicKey(secret) @ "xs_ssiot_x25519_public_key";
function x25519(secret, publicKey) @ "xs_ssiot_x25519";
function ed25519PublicKey(seed) @ "xs_ssiot_ed25519_public_key";
function ed25519Sign(message, seed) @ "xs_ssiot_ed25519_sign";
function ed25519Verify(signature, message, publicKey) @ "xs_ssiot_ed25519_verify";
function version() @ "xs_ssiot_sodium_version";

export { x25519PublicKey, x25519, ed25519PublicKey, ed25519Sign, ed25519Verify, version };
