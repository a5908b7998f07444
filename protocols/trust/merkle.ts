/**
 * Merkle trees as Certificate Transparency defines them (RFC 6962 §2.1,
 * RFC 9162 §2.1): SHA-256 with domain separation, so a leaf can never be
 * passed off as an inner node (second-preimage attacks on the tree):
 *
 *   leaf hash  = SHA-256(0x00 || leaf data)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH({})    = SHA-256("")
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k = largest power of two < n
 *
 * The recursive split is built bottom-up here: pair neighbours at each
 * level and carry an unpaired last node up unchanged, which gives the same
 * root. Levels are kept as flat byte arrays (32 bytes per node) so a tree
 * of a million leaves stays a few dozen megabytes, not a million objects.
 *
 * An inclusion proof is the RFC's audit path (sibling hashes from the leaf
 * up) with the leaf's index and the tree size; verification is RFC 9162
 * §2.1.3.2 step for step. Neutral code: runs on a device.
 */
import { getCrypto } from '../crypto/index.ts';
import { bytesToHex, hexToBytes } from '../encoding/bytes.ts';
import { TrustError } from '../errors.ts';

const HASH = 32;
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(data.length + 1);
  buf[0] = LEAF_PREFIX;
  buf.set(data, 1);
  return getCrypto().sha256(buf);
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + 2 * HASH);
  buf[0] = NODE_PREFIX;
  buf.set(left, 1);
  buf.set(right, 1 + HASH);
  return getCrypto().sha256(buf);
}

/** An inclusion proof (RFC 9162 audit path), JSON-ready. */
export interface MerkleProof {
  /** 0-based position of the leaf in the tree. */
  index: number;
  /** Number of leaves in the tree the proof is for. */
  size: number;
  /** Sibling hashes from the leaf level up, lowercase hex (32 bytes each). */
  path: string[];
}

/** A tree over leaves given in order; keeps every level for proofs. */
export class MerkleTree {
  readonly size: number;
  /** levels[0]: leaf hashes; the last level holds the root (empty tree: no levels). */
  private readonly levels: Uint8Array[];

  /** From leaf data (each is hashed with the leaf prefix). */
  static fromLeaves(leaves: readonly Uint8Array[]): MerkleTree {
    const flat = new Uint8Array(leaves.length * HASH);
    for (let i = 0; i < leaves.length; i++) flat.set(leafHash(leaves[i]), i * HASH);
    return new MerkleTree(flat);
  }

  /** From leaf hashes already computed, 32 bytes each, concatenated. */
  constructor(leafHashes: Uint8Array) {
    if (!(leafHashes instanceof Uint8Array) || leafHashes.length % HASH !== 0) {
      throw new TrustError('trust.invalid_argument', 'leaf hashes must be a multiple of 32 bytes');
    }
    this.size = leafHashes.length / HASH;
    this.levels = [];
    if (this.size === 0) return;
    let level = leafHashes;
    this.levels.push(level);
    const buf = new Uint8Array(1 + 2 * HASH);
    buf[0] = NODE_PREFIX;
    const sha256 = getCrypto().sha256;
    while (level.length > HASH) {
      const count = level.length / HASH;
      const next = new Uint8Array(Math.ceil(count / 2) * HASH);
      for (let i = 0; i + 1 < count; i += 2) {
        buf.set(level.subarray(i * HASH, (i + 2) * HASH), 1);
        next.set(sha256(buf), (i / 2) * HASH);
      }
      // an unpaired last node moves up unchanged (the RFC's unbalanced right subtree)
      if (count % 2 === 1) next.set(level.subarray((count - 1) * HASH), (next.length - HASH));
      this.levels.push(next);
      level = next;
    }
  }

  /** MTH of the leaves (SHA-256 of nothing for an empty tree). */
  root(): Uint8Array {
    if (this.size === 0) return getCrypto().sha256(new Uint8Array(0));
    return this.levels[this.levels.length - 1].slice(0, HASH);
  }

  /** The leaf hash at `index`. */
  leaf(index: number): Uint8Array {
    this.checkIndex(index);
    return this.levels[0].slice(index * HASH, (index + 1) * HASH);
  }

  /** The audit path for the leaf at `index`. */
  proof(index: number): MerkleProof {
    this.checkIndex(index);
    const path: string[] = [];
    let i = index;
    for (let l = 0; l < this.levels.length - 1; l++) {
      const count = this.levels[l].length / HASH;
      const sibling = i ^ 1;
      if (sibling < count) path.push(bytesToHex(this.levels[l].subarray(sibling * HASH, (sibling + 1) * HASH)));
      i >>= 1;
    }
    return { index, size: this.size, path };
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new TrustError('trust.invalid_argument', `leaf index ${String(index)} outside a tree of ${this.size}`);
    }
  }
}

/** MTH of `leaves` (leaf data). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  return MerkleTree.fromLeaves(leaves).root();
}

function isProofShape(p: unknown): p is MerkleProof {
  if (typeof p !== 'object' || p === null) return false;
  const { index, size, path } = p as Record<string, unknown>;
  return (
    Number.isSafeInteger(index) &&
    Number.isSafeInteger(size) &&
    (index as number) >= 0 &&
    (index as number) < (size as number) &&
    Array.isArray(path) &&
    path.length <= 64 &&
    path.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))
  );
}

/**
 * RFC 9162 §2.1.3.2: true when `leafHashBytes` at `proof.index` of a tree
 * of `proof.size` leaves hashes up to `root`. A malformed proof is false,
 * never an exception (the caller reports `trust.invalid_merkle_proof`).
 */
export function verifyInclusion(leafHashBytes: Uint8Array, proof: unknown, root: Uint8Array): boolean {
  if (!isProofShape(proof) || !(leafHashBytes instanceof Uint8Array) || leafHashBytes.length !== HASH) return false;
  // Indices up to 2^53: shifts in 32-bit arithmetic would wrap, so halve with Math.floor.
  let fn = proof.index;
  let sn = proof.size - 1;
  let r = leafHashBytes;
  for (const hex of proof.path) {
    if (sn === 0) return false;
    const p = hexToBytes(hex);
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || r.length !== root.length) return false;
  for (let i = 0; i < r.length; i++) if (r[i] !== root[i]) return false;
  return true;
}
