// The key schedule per suite (src/envelope/key-schedule.ts) and the writer's checks around it: a
// suite without a schedule is an error (never another suite's), and what KMS reports is checked
// before it is written. From the attacker review of suite 2 (session 9); each fails without its fix.
import { describe, expect, it } from 'vitest';
import { encryptEnvelope, type KmsLike } from 'kmsbox';
import type { SuiteId } from '../../src/envelope/format.js';
import { messageKeys } from '../../src/envelope/key-schedule.js';
import { bytes, setup, typedError } from './helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('messageKeys', () => {
  it('refuses a suite it has no schedule for, instead of running another suite’s', () => {
    for (const suite of [0, 3, 255, Number.NaN]) {
      expect(() => messageKeys(suite as SuiteId, bytes(32, 1), bytes(32, 2), bytes(64, 3), undefined)).toThrow(
        /^no key schedule for envelope suite/,
      );
    }
  });

  it('refuses a data key of any length but 32 bytes, in both suites', () => {
    for (const suite of [1, 2] as const)
      for (const n of [0, 16, 31, 33, 64])
        expect(() => messageKeys(suite, bytes(n, 1), bytes(32, 2), bytes(64, 3), undefined)).toThrow('the data key must be 32 bytes');
  });

  it('suites 1 and 2 give different K_enc and MAC for the same inputs; each depends on every header byte and the withheld context', () => {
    const dek = bytes(32, 1);
    const id = bytes(32, 2);
    const header = bytes(64, 3);
    const one = messageKeys(1, dek, id, header, undefined);
    const two = messageKeys(2, dek, id, header, undefined);
    expect(hex(one.encKey)).not.toBe(hex(two.encKey));
    expect(hex(one.mac)).not.toBe(hex(two.mac));
    for (const suite of [1, 2] as const) {
      const base = messageKeys(suite, dek, id, header, undefined);
      const changed = header.slice();
      changed[63]! ^= 1;
      expect(hex(messageKeys(suite, dek, id, changed, undefined).mac)).not.toBe(hex(base.mac));
      expect(hex(messageKeys(suite, dek, id, header, bytes(5, 4)).mac)).not.toBe(hex(base.mac));
      expect(hex(messageKeys(suite, bytes(32, 9), id, header, undefined).mac)).not.toBe(hex(base.mac));
    }
  });
});

/** A KmsLike passing everything to `kms` but GenerateDataKey, which `gdk` answers. */
function withGenerateDataKey(kms: KmsLike, gdk: KmsLike['generateDataKey']): KmsLike {
  return {
    encrypt: (i) => kms.encrypt(i),
    decrypt: (i) => kms.decrypt(i),
    generateDataKey: gdk,
  } as KmsLike;
}

describe('the KeyId KMS reports', () => {
  it('one no reader accepts (over 2,048 bytes, not well-formed text, not a string) is a ValidationException, nothing is written and the DEK is wiped', async () => {
    const { kms, keyIds } = await setup();
    const arn = 'arn:aws:kms:us-east-1:111122223333:key/';
    for (const reported of [`${arn}${'a'.repeat(3000)}`, `${arn}\ud800x`, 42]) {
      let dek: Uint8Array | undefined;
      const lying = withGenerateDataKey(kms, async (i) => {
        const out = await kms.generateDataKey(i);
        dek = out.Plaintext;
        return { ...out, KeyId: reported as string, CiphertextBlob: new Uint8Array(100).fill(9) };
      });
      let written: Uint8Array | undefined;
      const e = await typedError(async () => {
        written = await encryptEnvelope(bytes(10), { kms: lying, keyId: keyIds[0]! });
      });
      expect({ name: e.name, written, dekWiped: dek!.every((b) => b === 0) }).toEqual({
        name: 'ValidationException',
        written: undefined,
        dekWiped: true,
      });
      expect(e.message).toContain('KeyId');
    }
  });
});

describe('the message id test seam is not public', () => {
  it('encryptEnvelope, createEncryptStream and createEncryptNodeStream ignore a third argument: every message gets a fresh random id, even with a data key cache', async () => {
    const { createEncryptStream, DataKeyCache, inspectEnvelope } = await import('kmsbox');
    const { createEncryptNodeStream } = await import('kmsbox/node');
    const { pipe } = await import('./helpers.js');
    const { kms, keyIds } = await setup();
    const fixed = new Uint8Array(32).fill(7);
    const cache = new DataKeyCache({ maxAgeMs: 60_000 });
    const opts = { kms, keyId: keyIds[0]!, cache };
    const seam = { messageId: fixed } as never;
    const nodeStream = async () => {
      const t = (createEncryptNodeStream as (...a: unknown[]) => import('node:stream').Transform)(opts, seam);
      const parts: Buffer[] = [];
      t.on('data', (c: Buffer) => parts.push(c));
      const done = new Promise((resolve, reject) => t.on('end', resolve).on('error', reject));
      t.end(bytes(10));
      await done;
      return new Uint8Array(Buffer.concat(parts));
    };
    const envelopes = [
      await (encryptEnvelope as (...a: unknown[]) => Promise<Uint8Array>)(bytes(10), opts, seam),
      await (encryptEnvelope as (...a: unknown[]) => Promise<Uint8Array>)(bytes(10), opts, seam),
      await pipe((createEncryptStream as (...a: unknown[]) => TransformStream<Uint8Array, Uint8Array>)(opts, seam), bytes(10), [10]),
      await nodeStream(),
    ];
    const ids = envelopes.map((e) => hex(inspectEnvelope(e).messageId));
    expect(new Set(ids).size).toBe(4);
    expect(ids).not.toContain(hex(fixed));
  });
});
