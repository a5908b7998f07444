/**
 * Errors that cross a module boundary carry a stable, dotted `code`
 * (`<area>.<reason>`, e.g. `did.invalid`, `encoding.invalid_base64url`).
 * Codes are part of the public contract (CLI JSON, problem reports); the
 * message is for humans and must never contain secret material.
 */
export class SsiotError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'SsiotError';
    this.code = code;
    if (options && options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

export class CryptoError extends SsiotError {
  constructor(code: `crypto.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'CryptoError';
  }
}

export class EncodingError extends SsiotError {
  constructor(code: `encoding.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'EncodingError';
  }
}

export class DidError extends SsiotError {
  constructor(code: `did.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DidError';
  }
}

export class VcError extends SsiotError {
  constructor(code: `vc.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'VcError';
  }
}

/** SUIT manifests, firmware images and the device updater (`firmware.rollback`, `firmware.digest_mismatch`, …). */
export class FirmwareError extends SsiotError {
  constructor(code: `firmware.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'FirmwareError';
  }
}

/**
 * DIDComm envelope and message errors (`didcomm.*`): malformed, too_large,
 * invalid_message, unsupported_alg, unknown_recipient, decrypt_failed,
 * unknown_sender_key, sender_mismatch, signer_mismatch, recipient_mismatch,
 * invalid_signature, invalid_key, expired, replayed, missing_secret,
 * no_compatible_keys, invalid_argument (a caller's misuse when packing).
 * They travel in problem reports and CLI output, so the codes are stable.
 */
export class DidcommError extends SsiotError {
  constructor(code: `didcomm.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DidcommError';
  }
}

/**
 * Wallet failures (`wallet.*`): wrong passphrase or key, a corrupted item or
 * export file, a malformed WQL query, an import into a non-empty wallet.
 * Messages name the item type/id at most, never values or key material.
 */
export class WalletError extends SsiotError {
  constructor(code: `wallet.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'WalletError';
  }
}

/**
 * Trust in issuers (`trust.*`): downstream-DID chains (attestations, root
 * pins, link constraints) and the trust registry (edges, Merkle proofs,
 * epochs, accounting). Verifiers report most of these as reasons in a
 * result rather than throwing; protocols/trust/codes.ts lists them.
 */
export class TrustError extends SsiotError {
  constructor(code: `trust.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'TrustError';
  }
}

/** True when `e` is one of ours (works across bundles: checks shape, not prototype). */
export function isSsiotError(e: unknown): e is SsiotError {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && e instanceof Error;
}

/**
 * SPAKE2+ and manual setup codes (`pake.*`): out_of_order, aborted,
 * invalid_point, bad_confirmation, invalid_argument, invalid_code,
 * invalid_params. A wrong code and a forged confirmation look the same
 * (`pake.bad_confirmation`, one message on both sides), so an error never
 * tells a guesser which side or which part was wrong.
 */
export class PakeError extends SsiotError {
  constructor(code: `pake.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PakeError';
  }
}

/**
 * Protocol messages (`protocol.*`, protocols/messages): invalid_message (a
 * body field or attachment is missing or malformed; `field` names it),
 * unexpected_type (a validator got another message type),
 * invalid_transition (a state machine has no such row), invalid_argument
 * (a caller's misuse). Handlers turn them into problem reports with
 * protocols/messages/fields.ts `problemFor` (`e.p.msg.invalid`,
 * `e.m.req.out-of-order`).
 */
export class ProtocolError extends SsiotError {
  /** The offending field (`body.nonce`, `attachments`, `thid`), when one is to blame. */
  readonly field?: string;
  constructor(code: `protocol.${string}`, message: string, options?: { cause?: unknown; field?: string }) {
    super(code, message, options);
    this.name = 'ProtocolError';
    if (options && options.field !== undefined) this.field = options.field;
  }
}

/**
 * The manufacturer's MQTT broker and the device's broker token
 * (`broker.*`, protocols/didcomm/transports/mqtt-auth.ts, manufacturer/broker):
 * invalid_token, bad_signature, wrong_audience, expired, not_yet_valid,
 * replayed, unknown_device, username_mismatch, client_id_mismatch,
 * not_authorized, invalid_argument. A refused CONNECT answers only
 * "not authorized"; the code is for the broker's log and its counters.
 */
export class BrokerError extends SsiotError {
  constructor(code: `broker.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'BrokerError';
  }
}

/**
 * The manufacturer service's identity (`identity.*`, manufacturer/identity):
 * master key sources (missing, invalid, key_file_permissions), wrong master
 * key, the wallet and the stored DID log disagreeing, refused rotations.
 * Messages never contain key material, not even a prefix of it.
 */
export class IdentityError extends SsiotError {
  constructor(code: `identity.${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'IdentityError';
  }
}
