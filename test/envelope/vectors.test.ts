// Golden vectors (test/vectors/envelope/golden.json for suite 1, golden-suite2.json for suite 2,
// frozen): the writer reproduces them byte for byte, the reader decrypts them, cbor-x reads their
// structure as docs/envelope-format.md says, and an independent ~60-line reader written from the
// spec (cbor-x + @noble only) decrypts them too.
import { readFileSync } from 'node:fs';
import { Decoder } from 'cbor-x';
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { createPublicKey, createPrivateKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptEnvelope, inspectEnvelope } from 'kmsbox';
import { encryptEnvelopeWith } from '../../src/envelope/encrypt.js';
import { suite1Keys } from '../../src/envelope/key-schedule.js';
import { expectBytes } from './helpers.js';
import { stubKms } from './stub-kms.js';

const load = (file: string) => JSON.parse(readFileSync(new URL(`../vectors/envelope/${file}`, import.meta.url), 'utf8'));
const golden = load('golden.json');
const suites = [
  [1, golden],
  [2, load('golden-suite2.json')],
] as const;
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const dek = unhex(golden.dek);
const messageId = unhex(golden.messageId);
const plaintextOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

interface Vector {
  name: string;
  plaintextLength: number;
  segmentSize: number;
  encryptionContext: Record<string, string>;
  storeContext: boolean;
  recipients: Array<{ arn: string; blob: string }>;
  signer?: { arn: string; pkcs8: string };
  envelope: string;
  writtenBy?: string;
}
const kmsFor = (v: Vector) =>
  stubKms(
    dek,
    v.recipients.map((r) => ({ arn: r.arn, blob: unhex(r.blob) })),
    v.signer && { arn: v.signer.arn, pkcs8: unhex(v.signer.pkcs8) },
  );

/** The independent reader: from the spec, not from src/. Returns the plaintext or throws. */
function referenceDecrypt(envelope: Uint8Array, dataKey: Uint8Array, withheld?: Record<string, string>): Uint8Array {
  const items = new Decoder({ mapsAsObjects: false, useRecords: false }).decodeMultiple(envelope) as unknown[];
  const header = items[0] as Map<number, unknown>;
  const signed = header.has(8);
  const sigItem = signed ? (items[items.length - 1] as Uint8Array[]) : undefined;
  const segments = items.slice(2, signed ? -1 : undefined) as Uint8Array[];
  const bstrSize = (n: number) => (n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5) + n;
  const headerLength =
    envelope.length - 34 - segments.reduce((s, x) => s + bstrSize(x.length), 0) - (sigItem ? 1 + bstrSize(sigItem[0]!.length) : 0);
  const suite = header.get(2) as number;
  const info = new Uint8Array([...new TextEncoder().encode('kmsbox-envelope-v1'), 0, suite]);
  let macInput = envelope.subarray(0, headerLength);
  if (header.get(7) === true) {
    // Deterministic CBOR map of the withheld context (short ASCII keys here: head a1.., 6x ...).
    const entries = Object.entries(withheld!).sort(([a], [b]) => a.length - b.length || (a < b ? -1 : 1));
    const enc = (s: string) => [0x60 + s.length, ...new TextEncoder().encode(s)];
    macInput = new Uint8Array([...macInput, 0xa0 + entries.length, ...entries.flatMap(([k, v]) => [...enc(k), ...enc(v)])]);
  }
  let encKey: Uint8Array;
  let mac: Uint8Array;
  if (suite === 1) {
    const okm = hkdf(sha512, dataKey, header.get(3) as Uint8Array, info, 64);
    encKey = okm.subarray(0, 32);
    mac = hmac(sha256, okm.subarray(32), macInput);
  } else if (suite === 2) {
    // NIST SP 800-108r1 counter mode, HMAC-SHA-512, one block: [1]₂ ‖ Label ‖ 0x00 ‖ Context ‖ [512]₂,
    // Context = suite ‖ the MAC input of suite 1.
    const t = hmac(sha512, dataKey, new Uint8Array([0, 0, 0, 1, ...info, ...macInput, 0, 0, 2, 0]));
    encKey = t.subarray(0, 32);
    mac = t.subarray(32);
  } else throw new Error('suite');
  if (Buffer.compare(Buffer.from(mac), Buffer.from(items[1] as Uint8Array)) !== 0) throw new Error('MAC');
  const out: number[] = [];
  segments.forEach((seg, i) => {
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(7, i);
    nonce[11] = i === segments.length - 1 ? 1 : 0;
    out.push(...gcm(encKey, nonce, mac).decrypt(seg));
  });
  return new Uint8Array(out);
}

describe('golden vectors, suite 1', () => {
  it('the key schedule matches node:crypto HKDF-SHA-512 on every backend', async () => {
    const okm = suite1Keys(dek, messageId);
    expect(Buffer.from(okm.subarray(0, 32)).toString('hex')).toBe(golden.keySchedule.encKey);
    expect(Buffer.from(okm.subarray(32)).toString('hex')).toBe(golden.keySchedule.macKey);
    const noble = hkdf(sha512, dek, messageId, unhex(golden.keySchedule.info), 64);
    expect(Buffer.from(noble).toString('hex')).toBe(golden.keySchedule.encKey + golden.keySchedule.macKey);
    const k = await crypto.subtle.importKey('raw', dek, 'HKDF', false, ['deriveBits']);
    const web = new Uint8Array(
      await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-512', salt: messageId, info: unhex(golden.keySchedule.info) }, k, 512),
    );
    expect(Buffer.from(web).toString('hex')).toBe(golden.keySchedule.encKey + golden.keySchedule.macKey);
  });
});

describe.each(suites)('golden vectors, suite %i', (suite, file) => {
  const vectors: Vector[] = file.vectors;

  it('the file says its suite, and every header carries it', () => {
    expect(file.suite ?? 1).toBe(suite);
    for (const v of vectors) expect(unhex(v.envelope)[4]).toBe(suite);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s: the writer reproduces it byte for byte', async (_, v) => {
    if (v.writtenBy) return; // not producible through the public writer (unknown recipient type)
    const envelope = await encryptEnvelopeWith(
      plaintextOf(v.plaintextLength),
      {
        kms: kmsFor(v),
        keyId: v.recipients.map((r) => r.arn),
        segmentSize: v.segmentSize,
        encryptionContext: v.encryptionContext,
        storeContext: v.storeContext,
        ...(v.signer ? { signingKeyId: v.signer.arn } : {}),
        suite,
      },
      { messageId },
    );
    expect(Buffer.from(envelope).toString('hex')).toBe(v.envelope);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s: kmsbox and the independent reader decrypt it', async (_, v) => {
    const envelope = unhex(v.envelope);
    const out = await decryptEnvelope(envelope, {
      kms: kmsFor(v),
      discovery: true,
      ...(v.storeContext ? {} : { encryptionContext: v.encryptionContext }),
      ...(v.signer ? { signerKeyIds: [v.signer.arn] } : {}),
    });
    expectBytes(out.plaintext, plaintextOf(v.plaintextLength));
    expect(out.encryptionContext).toEqual(v.encryptionContext);
    expectBytes(referenceDecrypt(envelope, dek, v.encryptionContext), plaintextOf(v.plaintextLength));
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s: cbor-x reads the documented structure', (_, v) => {
    const envelope = unhex(v.envelope);
    const items = new Decoder({ mapsAsObjects: false, useRecords: false }).decodeMultiple(envelope) as unknown[];
    const header = items[0] as Map<number, unknown>;
    expect([...header.keys()]).toEqual([...header.keys()].sort((a, b) => a - b));
    expect(header.get(1)).toBe(1);
    expect(header.get(2)).toBe(suite);
    expect(header.get(3)).toEqual(messageId);
    expect(2 ** (header.get(4) as number)).toBe(v.segmentSize);
    const recipients = header.get(5) as unknown[][];
    expect(recipients.filter((r) => r[0] === 1).map((r) => r[2])).toEqual(v.recipients.map((r) => unhex(r.blob)));
    if (v.storeContext && Object.keys(v.encryptionContext).length)
      expect(Object.fromEntries(header.get(6) as Map<string, string>)).toEqual(v.encryptionContext);
    expect(header.get(7)).toBe(v.storeContext || !Object.keys(v.encryptionContext).length ? undefined : true);
    expect((items[1] as Uint8Array).length).toBe(32);
    expect(
      inspectEnvelope(envelope)
        .recipients.filter((r) => r.type === 1)
        .map((r) => r.keyId),
    ).toEqual(v.recipients.map((r) => (r.blob.length === 192 ? r.arn.split('/')[1] : r.arn)));
  });

  it('OpenSSL verifies the Ed25519 signature over the message rebuilt from the spec', () => {
    const v = vectors.find((x) => x.signer)!;
    const envelope = unhex(v.envelope);
    const info = inspectEnvelope(envelope);
    const items = new Decoder({ mapsAsObjects: false, useRecords: false }).decodeMultiple(envelope) as unknown[];
    const segments = items.slice(2, -1) as Uint8Array[];
    const sig = (items[items.length - 1] as Uint8Array[])[0]!;
    let o = info.headerLength;
    const digests = [sha256(envelope.subarray(0, o))];
    for (const s of segments) {
      const size = (s.length < 24 ? 1 : s.length < 256 ? 2 : s.length < 65536 ? 3 : 5) + s.length;
      digests.push(sha256(envelope.subarray(o, o + size)));
      o += size;
    }
    const d = sha256(new Uint8Array(digests.flatMap((x) => [...x])));
    const m = new Uint8Array([...new TextEncoder().encode('kmsbox-envelope-v1 sig'), 0, ...d]);
    const pub = createPublicKey(createPrivateKey({ key: Buffer.from(unhex(v.signer!.pkcs8)), format: 'der', type: 'pkcs8' }));
    expect(nodeVerify(null, m, pub, sig)).toBe(true);
    expect(o + 1 + 2 + 64).toBe(envelope.length);
  });
});
