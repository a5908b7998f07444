/**
 * RFC 6962 / 9162 Merkle trees: the Certificate Transparency reference
 * tree heads (the 8-leaf test data of the CT reference implementation,
 * recomputed independently with Python's hashlib), inclusion proofs for
 * every leaf of trees of 1..17 leaves, and proofs that fail when anything
 * about them changes.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { bytesToHex, hexToBytes } from '../encoding/bytes.ts';
import { leafHash, MerkleTree, merkleRoot, nodeHash, verifyInclusion } from './merkle.ts';

const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hexToBytes);
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

function leaves(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => Uint8Array.of(i, i >> 8, 7));
}

describe('Merkle tree heads (RFC 6962 §2.1)', () => {
  it('matches the Certificate Transparency reference roots for 0..8 leaves', () => {
    for (let n = 0; n <= 8; n++) expect(bytesToHex(merkleRoot(CT_LEAVES.slice(0, n)))).toBe(CT_ROOTS[n]);
  });

  it('domain-separates leaves from nodes', () => {
    const a = leafHash(Uint8Array.of(1));
    const b = leafHash(Uint8Array.of(2));
    // a leaf whose data is the concatenation of two hashes is not the node over them
    expect(bytesToHex(leafHash(new Uint8Array([...a, ...b])))).not.toBe(bytesToHex(nodeHash(a, b)));
    expect(bytesToHex(merkleRoot([Uint8Array.of(1), Uint8Array.of(2)]))).toBe(bytesToHex(nodeHash(a, b)));
  });

  it('splits at the largest power of two below n (unbalanced right subtree)', () => {
    const l = leaves(5).map(leafHash);
    const expected = nodeHash(nodeHash(nodeHash(l[0], l[1]), nodeHash(l[2], l[3])), l[4]);
    expect(bytesToHex(merkleRoot(leaves(5)))).toBe(bytesToHex(expected));
  });
});

describe('inclusion proofs (RFC 9162 §2.1.3)', () => {
  it('verify for every leaf of trees of 1..17 leaves, with at most ceil(log2 n) hashes', () => {
    for (let n = 1; n <= 17; n++) {
      const tree = MerkleTree.fromLeaves(leaves(n));
      const root = tree.root();
      for (let i = 0; i < n; i++) {
        const p = tree.proof(i);
        expect(p.path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
        expect(verifyInclusion(tree.leaf(i), p, root)).toBe(true);
      }
    }
  });

  it('fail when the leaf, any sibling, the index, the size or the root changes', () => {
    const tree = MerkleTree.fromLeaves(leaves(11));
    const root = tree.root();
    const p = tree.proof(6);
    const leaf = tree.leaf(6);
    expect(verifyInclusion(leaf, p, root)).toBe(true);
    expect(verifyInclusion(tree.leaf(7), p, root)).toBe(false);
    for (let k = 0; k < p.path.length; k++) {
      const path = [...p.path];
      const b = hexToBytes(path[k]);
      b[0] ^= 1;
      path[k] = bytesToHex(b);
      expect(verifyInclusion(leaf, { ...p, path }, root)).toBe(false);
    }
    expect(verifyInclusion(leaf, { ...p, index: 7 }, root)).toBe(false);
    // the size shapes the path only where the tree is unbalanced (answer.ts also pins it to the epoch's size)
    const last = tree.proof(10);
    expect(verifyInclusion(tree.leaf(10), last, root)).toBe(true);
    expect(verifyInclusion(tree.leaf(10), { ...last, size: 12 }, root)).toBe(false);
    expect(verifyInclusion(tree.leaf(10), { ...last, size: 10 }, root)).toBe(false);
    expect(verifyInclusion(leaf, { ...p, path: p.path.slice(1) }, root)).toBe(false);
    expect(verifyInclusion(leaf, { ...p, path: [...p.path, p.path[0]] }, root)).toBe(false);
    const otherRoot = MerkleTree.fromLeaves(leaves(12)).root();
    expect(verifyInclusion(leaf, p, otherRoot)).toBe(false);
  });

  it('rejects malformed proofs without throwing', () => {
    const tree = MerkleTree.fromLeaves(leaves(4));
    const root = tree.root();
    const leaf = tree.leaf(1);
    for (const bad of [null, {}, { index: 1, size: 4 }, { index: 4, size: 4, path: [] }, { index: -1, size: 4, path: [] }, { index: 1, size: 4, path: ['zz'] }]) {
      expect(verifyInclusion(leaf, bad, root)).toBe(false);
    }
    expect(verifyInclusion(leaf.slice(0, 31), tree.proof(1), root)).toBe(false);
  });

  it('refuses out-of-range leaf indices', () => {
    const tree = MerkleTree.fromLeaves(leaves(3));
    expectCode(() => tree.proof(3), 'trust.invalid_argument');
    expectCode(() => tree.proof(-1), 'trust.invalid_argument');
    expectCode(() => new MerkleTree(new Uint8Array(33)), 'trust.invalid_argument');
  });
});
