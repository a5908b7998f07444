/**
 * The integer labels of draft-ietf-suit-manifest-37 (its CDDL, §"IANA
 * Considerations"), in one place so the encoder, the decoder and the
 * inspect view agree. Names follow the CDDL without the `suit-` prefix.
 */

/** SUIT_Envelope_Tagged (CBOR tag 107). */
export const TAG_ENVELOPE = 107;
/** COSE_Sign1_Tagged (RFC 9052). */
export const TAG_COSE_SIGN1 = 18;

/** SUIT_Envelope keys. */
export const ENVELOPE = {
  authenticationWrapper: 2,
  manifest: 3,
  payloadFetch: 16,
  install: 20,
  text: 23,
} as const;

/** SUIT_Manifest keys. */
export const MANIFEST = {
  version: 1,
  sequenceNumber: 2,
  common: 3,
  referenceUri: 4,
  validate: 7,
  load: 8,
  invoke: 9,
  payloadFetch: 16,
  install: 20,
  text: 23,
} as const;

/** Manifest members that may be severed (replaced by a SUIT_Digest and carried in the envelope). */
export const SEVERABLE_MEMBERS: readonly number[] = [MANIFEST.payloadFetch, MANIFEST.install, MANIFEST.text];

/** SUIT_Common keys. */
export const COMMON = { components: 2, sharedSequence: 4 } as const;

/** Conditions and directives (SUIT_Command_Sequence identifiers). */
export const COMMAND_NAMES: Readonly<Record<number, string>> = {
  1: 'condition-vendor-identifier',
  2: 'condition-class-identifier',
  3: 'condition-image-match',
  5: 'condition-component-slot',
  6: 'condition-check-content',
  12: 'directive-set-component-index',
  14: 'condition-abort',
  15: 'directive-try-each',
  18: 'directive-write',
  20: 'directive-override-parameters',
  21: 'directive-fetch',
  22: 'directive-copy',
  23: 'directive-invoke',
  24: 'condition-device-identifier',
  31: 'directive-swap',
  32: 'directive-run-sequence',
};

export const CMD = {
  vendorIdentifier: 1,
  classIdentifier: 2,
  imageMatch: 3,
  componentSlot: 5,
  checkContent: 6,
  setComponentIndex: 12,
  abort: 14,
  tryEach: 15,
  write: 18,
  overrideParameters: 20,
  fetch: 21,
  copy: 22,
  invoke: 23,
  deviceIdentifier: 24,
  swap: 31,
  runSequence: 32,
} as const;

/** SUIT_Parameters keys. */
export const PARAMETER_NAMES: Readonly<Record<number, string>> = {
  1: 'vendor-id',
  2: 'class-id',
  3: 'image-digest',
  5: 'component-slot',
  12: 'strict-order',
  13: 'soft-failure',
  14: 'image-size',
  18: 'content',
  21: 'uri',
  22: 'source-component',
  23: 'invoke-args',
  24: 'device-id',
  25: 'fetch-arguments',
};

export const PARAM = {
  vendorId: 1,
  classId: 2,
  imageDigest: 3,
  componentSlot: 5,
  strictOrder: 12,
  softFailure: 13,
  imageSize: 14,
  content: 18,
  uri: 21,
  sourceComponent: 22,
  invokeArgs: 23,
  deviceId: 24,
  fetchArguments: 25,
} as const;

/** COSE algorithm identifiers used here (IANA COSE Algorithms). */
export const COSE_ALG = { EdDSA: -8, ES256: -7, sha256: -16, sha384: -43, sha512: -44 } as const;
/** COSE header labels (RFC 9052 §3.1). */
export const COSE_HEADER = { alg: 1, crit: 2, contentType: 3, kid: 4 } as const;

/** SUIT_Text keys (manifest level and per component). */
export const TEXT_NAMES: Readonly<Record<number, string>> = {
  1: 'manifest-description',
  2: 'update-description',
  3: 'manifest-json-source',
  4: 'manifest-yaml-source',
};
export const TEXT_COMPONENT_NAMES: Readonly<Record<number, string>> = {
  1: 'vendor-name',
  2: 'model-name',
  3: 'vendor-domain',
  4: 'model-info',
  5: 'component-description',
  6: 'component-version',
};
