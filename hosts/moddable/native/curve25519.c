/*
 * ssiot/curve25519: the public-key operations that are too slow in pure
 * JavaScript on an ESP32 (X25519, Ed25519), on libsodium's API:
 *  - ESP32: ESP-IDF's libsodium component (espressif/libsodium from the
 *    component registry, declared in hosts/moddable/manifests/esp32.json);
 *  - Linux simulator: the system libsodium (Debian: libsodium-dev), linked
 *    with -lsodium (hosts/moddable/manifests/lin.json).
 * The argument checks, error codes and contracts of the crypto facade are in
 * hosts/moddable/crypto.ts; this file only checks lengths again so that a
 * wrong call can never read or write past a buffer. Error messages name the
 * argument, never its contents.
 *
 * Memory: XS may move ArrayBuffer data when it allocates (the chunk heap is
 * compacted by the garbage collector), so each function first checks the
 * lengths, then allocates its result, and only then takes the data pointers
 * it hands to libsodium.
 */
#include "xsmc.h"
#include "xsHost.h"
#include <sodium.h>

static void ssiot_sodium_init(xsMachine *the)
{
	static int ready = 0;
	if (ready) return;
	if (sodium_init() < 0) xsUnknownError("libsodium init failed");
	ready = 1;
}

/* Byte length of argument `index`; xsRangeError unless it is `expected` (0 = any). */
static xsUnsignedValue length_of(xsMachine *the, xsIntegerValue index, xsUnsignedValue expected, const char *name)
{
	void *data;
	xsUnsignedValue length;
	if (xsmcArgc <= index) xsTypeError("%s missing", name);
	xsmcGetBufferReadable(xsArg(index), &data, &length);
	if (expected && (length != expected)) xsRangeError("%s must be %d bytes", name, (int)expected);
	return length;
}

static const uint8_t *readable(xsMachine *the, xsIntegerValue index)
{
	void *data;
	xsUnsignedValue length;
	xsmcGetBufferReadable(xsArg(index), &data, &length);
	return (const uint8_t *)data;
}

static uint8_t *result_bytes(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;
	xsmcGetBufferWritable(xsResult, &data, &length);
	return (uint8_t *)data;
}

/* x25519PublicKey(secret: ArrayBuffer(32)): ArrayBuffer(32), X25519(secret, 9). */
void xs_ssiot_x25519_public_key(xsMachine *the)
{
	ssiot_sodium_init(the);
	length_of(the, 0, crypto_scalarmult_curve25519_SCALARBYTES, "secret");
	xsmcSetArrayBuffer(xsResult, NULL, crypto_scalarmult_curve25519_BYTES);
	if (crypto_scalarmult_curve25519_base(result_bytes(the), readable(the, 0)) != 0)
		xsUnknownError("X25519 public key failed");
}

/*
 * x25519(secret: ArrayBuffer(32), publicKey: ArrayBuffer(32)): ArrayBuffer(32).
 * libsodium answers -1 for a low-order public key (the all-zero shared secret
 * of RFC 7748 §6.1); the result is then all zero, which the facade turns into
 * crypto.invalid_key, the same as for an all-zero ladder output.
 */
void xs_ssiot_x25519(xsMachine *the)
{
	uint8_t *out;
	ssiot_sodium_init(the);
	length_of(the, 0, crypto_scalarmult_curve25519_SCALARBYTES, "secret");
	length_of(the, 1, crypto_scalarmult_curve25519_BYTES, "publicKey");
	xsmcSetArrayBuffer(xsResult, NULL, crypto_scalarmult_curve25519_BYTES);
	out = result_bytes(the);
	if (crypto_scalarmult_curve25519(out, readable(the, 0), readable(the, 1)) != 0)
		sodium_memzero(out, crypto_scalarmult_curve25519_BYTES);
}

/* ed25519PublicKey(seed: ArrayBuffer(32)): ArrayBuffer(32) (RFC 8032 §5.1.5). */
void xs_ssiot_ed25519_public_key(xsMachine *the)
{
	uint8_t secret[crypto_sign_ed25519_SECRETKEYBYTES];
	int rc;
	ssiot_sodium_init(the);
	length_of(the, 0, crypto_sign_ed25519_SEEDBYTES, "seed");
	xsmcSetArrayBuffer(xsResult, NULL, crypto_sign_ed25519_PUBLICKEYBYTES);
	rc = crypto_sign_ed25519_seed_keypair(result_bytes(the), secret, readable(the, 0));
	sodium_memzero(secret, sizeof(secret));
	if (rc != 0) xsUnknownError("Ed25519 key derivation failed");
}

/*
 * ed25519Sign(message: ArrayBuffer, seed: ArrayBuffer(32)): ArrayBuffer(64),
 * RFC 8032 §5.1.6 (deterministic). The key pair is derived from the seed on
 * each call (the facade's signing key is the seed) and wiped afterwards.
 */
void xs_ssiot_ed25519_sign(xsMachine *the)
{
	uint8_t publicKey[crypto_sign_ed25519_PUBLICKEYBYTES];
	uint8_t secret[crypto_sign_ed25519_SECRETKEYBYTES];
	xsUnsignedValue messageLength;
	int rc;
	ssiot_sodium_init(the);
	messageLength = length_of(the, 0, 0, "message");
	length_of(the, 1, crypto_sign_ed25519_SEEDBYTES, "seed");
	xsmcSetArrayBuffer(xsResult, NULL, crypto_sign_ed25519_BYTES);
	rc = crypto_sign_ed25519_seed_keypair(publicKey, secret, readable(the, 1));
	if (rc == 0)
		rc = crypto_sign_ed25519_detached(result_bytes(the), NULL, readable(the, 0), messageLength, secret);
	sodium_memzero(secret, sizeof(secret));
	if (rc != 0) xsUnknownError("Ed25519 signing failed");
}

/*
 * ed25519Verify(signature: ArrayBuffer(64), message: ArrayBuffer,
 * publicKey: ArrayBuffer(32)): boolean. libsodium's rules (canonical S and A,
 * no small-order A or R, cofactorless equation): see hosts/moddable/crypto.ts.
 */
void xs_ssiot_ed25519_verify(xsMachine *the)
{
	xsUnsignedValue messageLength;
	ssiot_sodium_init(the);
	length_of(the, 0, crypto_sign_ed25519_BYTES, "signature");
	messageLength = length_of(the, 1, 0, "message");
	length_of(the, 2, crypto_sign_ed25519_PUBLICKEYBYTES, "publicKey");
	xsmcSetBoolean(xsResult, crypto_sign_ed25519_verify_detached(readable(the, 0), readable(the, 1), messageLength, readable(the, 2)) == 0);
}

/* version(): libsodium's version string, for reports. */
void xs_ssiot_sodium_version(xsMachine *the)
{
	ssiot_sodium_init(the);
	xsmcSetString(xsResult, (char *)sodium_version_string());
}
