/*
 * ssiot/random: the platform's hardware / OS random source for the crypto
 * facade (hosts/moddable/crypto.ts). Native: random.c. Declared in
 * hosts/moddable/types/moddable.d.ts.
 */
function fill(buffer) @ "xs_ssiot_random_fill";

export { fill };
