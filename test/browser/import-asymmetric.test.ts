// Runs in Chromium: imported RSA and ECC key material with no node:crypto. The key pairs are made
// by WebCrypto (and @noble/curves for secp256k1) and exported as PKCS#8; they are wrapped as a user
// does with RSA_AES_KEY_WRAP_SHA_256 (WebCrypto RSA-OAEP of an AES key, @noble/ciphers AES-KWP).
// `new Kms()` checks and uses them on the portable path; WebCryptoProvider holds non-extractable CryptoKeys.
import { aeskwp } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { Kms, WebCryptoProvider } from 'kmsbox';
import { ecPkcs8 } from '../../src/crypto/key-der.js';
import { rejects, utf8 } from '../api/helpers.js';

const subtle = crypto.subtle;

async function wrap(wrappingSpki: Uint8Array, material: Uint8Array): Promise<Uint8Array> {
  const rsa = await subtle.importKey('spki', wrappingSpki as BufferSource, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  const aesKey = crypto.getRandomValues(new Uint8Array(32));
  const wrappedKey = new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP' }, rsa, aesKey as BufferSource));
  const wrappedMaterial = aeskwp(aesKey).encrypt(material);
  const out = new Uint8Array(wrappedKey.length + wrappedMaterial.length);
  out.set(wrappedKey);
  out.set(wrappedMaterial, wrappedKey.length);
  return out;
}

async function importInto(kms: Kms, spec: 'RSA_2048' | 'ECC_NIST_P256' | 'ECC_SECG_P256K1', pkcs8: Uint8Array) {
  const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL', KeySpec: spec, KeyUsage: 'SIGN_VERIFY' });
  const keyId = KeyMetadata!.KeyId!;
  const params = await kms.getParametersForImport({
    KeyId: keyId,
    WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
    WrappingKeySpec: 'RSA_2048',
  });
  await kms.importKeyMaterial({
    KeyId: keyId,
    ImportToken: params.ImportToken,
    EncryptedKeyMaterial: await wrap(params.PublicKey!, pkcs8),
    ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
  });
  return keyId;
}

async function webKeyPair(algorithm: RsaHashedKeyGenParams | EcKeyGenParams) {
  const pair = (await subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  return {
    pkcs8: new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey)),
    spki: new Uint8Array(await subtle.exportKey('spki', pair.publicKey)),
    publicKey: pair.publicKey,
  };
}

describe.each([
  ['new Kms() (portable path)', () => new Kms()],
  ['WebCryptoProvider', () => new Kms({ provider: new WebCryptoProvider() })],
])('imported key pairs in Chromium: %s', (_name, makeKms) => {
  it('P-256 and RSA_2048 keys made by WebCrypto sign; GetPublicKey returns their public keys; WebCrypto verifies', async () => {
    const kms = makeKms();
    const message = utf8('imported in a browser');
    const ec = await webKeyPair({ name: 'ECDSA', namedCurve: 'P-256' });
    const ecKey = await importInto(kms, 'ECC_NIST_P256', ec.pkcs8);
    expect((await kms.getPublicKey({ KeyId: ecKey })).PublicKey).toEqual(ec.spki);
    const ecSig = (await kms.sign({ KeyId: ecKey, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' })).Signature!;
    expect((await kms.verify({ KeyId: ecKey, Message: message, Signature: ecSig, SigningAlgorithm: 'ECDSA_SHA_256' })).SignatureValid).toBe(
      true,
    );

    const rsa = await webKeyPair({
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    });
    const rsaKey = await importInto(kms, 'RSA_2048', rsa.pkcs8);
    expect((await kms.getPublicKey({ KeyId: rsaKey })).PublicKey).toEqual(rsa.spki);
    const rsaSig = (await kms.sign({ KeyId: rsaKey, Message: message, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' })).Signature!;
    expect(await subtle.verify('RSASSA-PKCS1-v1_5', rsa.publicKey, rsaSig as BufferSource, message as BufferSource)).toBe(true);

    // Another curve's key: refused with the spec's message.
    const p384 = await webKeyPair({ name: 'ECDSA', namedCurve: 'P-384' });
    await rejects(
      () => importInto(kms, 'ECC_NIST_P256', p384.pkcs8),
      'IncorrectKeyMaterialException',
      'The key material is not a valid ECC_NIST_P256 private key: it is an EC key on P-384, not on P-256.',
    );
  });
});

describe('secp256k1 in Chromium', () => {
  it('new Kms() imports a secp256k1 key (made by @noble/curves) and signs; WebCryptoProvider refuses the spec at CreateKey', async () => {
    const d = secp256k1.utils.randomSecretKey();
    const point = secp256k1.getPublicKey(d, false);
    const kms = new Kms();
    const keyId = await importInto(kms, 'ECC_SECG_P256K1', ecPkcs8('secp256k1', d, point));
    const spki = (await kms.getPublicKey({ KeyId: keyId })).PublicKey!;
    expect(spki.subarray(-65)).toEqual(point);
    const message = utf8('k1');
    const { Signature } = await kms.sign({ KeyId: keyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' });
    const digest = new Uint8Array(await subtle.digest('SHA-256', message as BufferSource));
    expect(
      secp256k1.verify(secp256k1.Signature.fromBytes(Signature!, 'der').toBytes('compact'), digest, point, { prehash: false, lowS: false }),
    ).toBe(true);
    await rejects(
      () =>
        new Kms({ provider: new WebCryptoProvider() }).createKey({
          Origin: 'EXTERNAL',
          KeySpec: 'ECC_SECG_P256K1',
          KeyUsage: 'SIGN_VERIFY',
        }),
      'UnsupportedOperationException',
      'KeySpec ECC_SECG_P256K1 is not supported by the webcrypto provider.',
    );
  });
});
