/**
 * SPAKE2+ registration: scrypt over len(pw)||pw||len(idProver)||idProver||
 * len(idVerifier)||idVerifier, 40-byte halves reduced mod the P-256 order,
 * L = w1*P; the verifier record; parameter bounds.
 *
 * Known answers computed independently with Python's hashlib.scrypt
 * (OpenSSL) and plain-integer P-256 arithmetic, salt = 'SPAKE2P Key Salt'.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { engine } from '../../tests/support/vectors.ts';
import { bytesToHex as hex, utf8Encode } from '../encoding/bytes.ts';
import {
  checkPbkdfParams,
  checkRegistration,
  createVerifierRecord,
  DEFAULT_PBKDF,
  deriveProverSecrets,
  deriveSecretsFromPassword,
  TEST_PBKDF,
  type PbkdfParams,
} from './registration.ts';
import { computeL } from './spake2plus.ts';
import { P256_SHA256 } from './suite.ts';

const SALT = utf8Encode('SPAKE2P Key Salt');

interface Kat {
  code: string;
  idProver?: string;
  idVerifier?: string;
  pbkdf: PbkdfParams;
  w0: string;
  w1: string;
  L: string;
}

const KATS: Kat[] = [
  {
    code: '1234-567-8902',
    pbkdf: TEST_PBKDF,
    w0: 'd08ae1970899f10a04879d670e063ac9c220cb03faff231834d7e866f618d45f',
    w1: 'c7848490be017cea7a8420b2677b1e6e9ae7c4241f59467bdd5a34f16b8caf1e',
    L: '04e1695adaeb6a90d38c73509d10b913c922980a1b13c0076af49cd56b112afa19601c0acb55016ed0ca52a9596b7bebea29522a3aa595a57f30d6f0502a3f97b9',
  },
  {
    code: '12345678902',
    idVerifier: 'ssiot-device',
    pbkdf: TEST_PBKDF,
    w0: '63c380d9caf6f49c55ccf72d66e1af303b1726f18a17ee4b6e0b18c2519b8d52',
    w1: '8d0ca93445d1a6ea0eca0cc46c9cf1c34287ee9e4553228278e2acc431455cd4',
    L: '045e09197f12b186b596da9b8b732fb3b458b447ae6d8658d3c5057c037a7f1790217243bd928216c9fdab5ff7f9f1695439c37021a0086f5e8c54e80244f06912',
  },
  {
    code: '2020 2021',
    idProver: 'phone',
    idVerifier: 'ssiot-device',
    pbkdf: { alg: 'scrypt', N: 1024, r: 8, p: 1 },
    w0: 'f3fb289e9646b4d25c598f6d8f9af96b8ae432fa4c765f8ff341fa9ec1e40cbd',
    w1: '991e485b7537699b6c8e6052bc5fb48f5930f2019f7a9776a92bf7c0a4bfa2be',
    L: '04721d114c61dd24b8d04be8d75e718391094a727dd34a35b9181d783640d59d8cddef242f13d195d00efd89dabccd7ee1335d4bf66dc7c2ef31fc35ba4f0f3c9b',
  },
];

/** RFC 9383's recommended scrypt cost (32 MiB): Node only. */
const DEFAULT_KAT: Kat = {
  code: '12345678902',
  pbkdf: DEFAULT_PBKDF,
  w0: 'd9d6db7683559ec0718b690e7dcb52e3167d7e845a38f03bb90cf9ddc4860be6',
  w1: 'd073b63aac4a55c7b0e00f077fc68672fe614ba7b76693806ade15e7197c3e9d',
  L: '047734d1d91984d7b4c2bea013098845d795bbce997a13f495627bd4518b352981612f98dc4f470306d8b661b00df38278f6871a12b0c948c817c939d9a008258e',
};

function checkKat(k: Kat): void {
  const options = {
    idProver: k.idProver === undefined ? undefined : utf8Encode(k.idProver),
    idVerifier: k.idVerifier === undefined ? undefined : utf8Encode(k.idVerifier),
  };
  const record = createVerifierRecord(k.code, SALT, k.pbkdf, options);
  expect(hex(record.w0)).toBe(k.w0);
  expect(hex(record.L)).toBe(k.L);
  expect(record.registration.suite).toBe(P256_SHA256.name);
  expect(record.registration.pbkdf).toEqual(k.pbkdf);
  expect(hex(record.registration.salt)).toBe(hex(SALT));
  // The phone, from the code and the public registration only.
  const secrets = deriveProverSecrets(k.code, record.registration);
  expect(hex(secrets.w0)).toBe(k.w0);
  expect(hex(secrets.w1)).toBe(k.w1);
  expect(hex(computeL(P256_SHA256, secrets.w1))).toBe(k.L);
}

describe('SPAKE2+ registration (scrypt)', () => {
  for (const k of KATS) {
    it(`known answer: ${k.code.length}-character code, N=${k.pbkdf.N} r=${k.pbkdf.r}, ids ${k.idProver ?? '-'}/${k.idVerifier ?? '-'}`, () => checkKat(k));
  }

  it.skipIf(engine() === 'xs')('known answer at the default cost (N=32768, r=8, p=1)', () => checkKat(DEFAULT_KAT));

  it('the record holds w0, L and the public registration only', () => {
    const record = createVerifierRecord('12345678902', SALT, TEST_PBKDF);
    expect(Object.keys(record).sort()).toEqual(['L', 'registration', 'w0']);
    expect(Object.keys(record.registration).sort()).toEqual(['idProver', 'idVerifier', 'pbkdf', 'salt', 'suite']);
    expect(record.w0).toHaveLength(32);
    expect(record.L).toHaveLength(65);
  });

  it('the password is the digits: the same code typed differently gives the same secrets', () => {
    const reg = createVerifierRecord('12345678902', SALT, TEST_PBKDF).registration;
    const a = deriveProverSecrets('1234-567-8902', reg);
    const b = deriveProverSecrets(' 1234 567 8902 ', reg);
    const c = deriveSecretsFromPassword(utf8Encode('12345678902'), reg);
    expect(hex(a.w0)).toBe(hex(b.w0));
    expect(hex(a.w1)).toBe(hex(c.w1));
  });

  it('salt, identities and cost each change the result', () => {
    const base = createVerifierRecord('12345678902', SALT, TEST_PBKDF);
    const variants = [
      createVerifierRecord('12345678902', utf8Encode('SPAKE2P Key Salu'), TEST_PBKDF),
      createVerifierRecord('12345678902', SALT, TEST_PBKDF, { idVerifier: utf8Encode('x') }),
      createVerifierRecord('12345678902', SALT, TEST_PBKDF, { idProver: utf8Encode('x') }),
      createVerifierRecord('12345678902', SALT, { ...TEST_PBKDF, N: 32 }),
    ];
    for (const v of variants) expect(hex(v.w0)).not.toBe(hex(base.w0));
    // identity in idProver vs idVerifier: the length prefixes keep them apart
    expect(hex(variants[1].w0)).not.toBe(hex(variants[2].w0));
  });

  it('refuses a typo in the code before deriving anything', () => {
    expectCode(() => createVerifierRecord('12345678903', SALT, TEST_PBKDF), 'pake.invalid_code');
    const reg = createVerifierRecord('12345678902', SALT, TEST_PBKDF).registration;
    expectCode(() => deriveProverSecrets('1234567890', reg), 'pake.invalid_code');
  });

  it('bounds the scrypt cost and the salt, as a hostile peer could send them', () => {
    const bad: unknown[] = [
      undefined,
      { ...TEST_PBKDF, alg: 'pbkdf2' },
      { ...TEST_PBKDF, N: 1 },
      { ...TEST_PBKDF, N: 1000 },
      { ...TEST_PBKDF, N: 2 ** 21 },
      { ...TEST_PBKDF, N: 2 ** 20, r: 8 }, // 1 GiB
      { ...TEST_PBKDF, r: 0 },
      { ...TEST_PBKDF, r: 1.5 },
      { ...TEST_PBKDF, p: 17 },
      { ...TEST_PBKDF, N: '16' },
    ];
    for (const params of bad) expectCode(() => checkPbkdfParams(params), 'pake.invalid_params');
    expect(checkPbkdfParams(DEFAULT_PBKDF)).toEqual(DEFAULT_PBKDF);
    expectCode(() => createVerifierRecord('12345678902', new Uint8Array(15), TEST_PBKDF), 'pake.invalid_params');
    expectCode(() => createVerifierRecord('12345678902', new Uint8Array(65), TEST_PBKDF), 'pake.invalid_params');
    const reg = createVerifierRecord('12345678902', SALT, TEST_PBKDF).registration;
    expectCode(() => checkRegistration({ ...reg, suite: 'P256-SHA256-HKDF-SHA256-CMAC-AES-128' }), 'pake.invalid_params');
    expectCode(() => checkRegistration({ ...reg, idVerifier: 'device' }), 'pake.invalid_argument');
    expectCode(() => deriveProverSecrets('12345678902', { ...reg, pbkdf: { ...TEST_PBKDF, N: 2 ** 22 } }), 'pake.invalid_params');
  });
});
