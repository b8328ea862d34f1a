// Shared helpers for the envelope tests.
import { expect } from 'vitest';
import { Kms, KMSServiceException, type KmsLike } from 'kmsbox';

export async function setup(keys = 1): Promise<{ kms: Kms; keyIds: string[]; arns: string[] }> {
  const kms = new Kms();
  const keyIds: string[] = [];
  const arns: string[] = [];
  for (let i = 0; i < keys; i++) {
    const { KeyMetadata } = await kms.createKey({});
    keyIds.push(KeyMetadata!.KeyId!);
    arns.push(KeyMetadata!.Arn!);
  }
  return { kms, keyIds, arns };
}

/** A KmsLike that counts the calls it passes on. */
export function counting(kms: KmsLike): KmsLike & { calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const wrap =
    <K extends keyof KmsLike>(name: K) =>
    (input: never) => {
      calls[name] = (calls[name] ?? 0) + 1;
      return (kms[name] as (i: never) => Promise<unknown>).call(kms, input);
    };
  return {
    calls,
    generateDataKey: wrap('generateDataKey'),
    encrypt: wrap('encrypt'),
    decrypt: wrap('decrypt'),
    getPublicKey: wrap('getPublicKey'),
    sign: wrap('sign'),
    verify: wrap('verify'),
  } as KmsLike & { calls: Record<string, number> };
}

export function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function flip(b: Uint8Array, bit: number): Uint8Array {
  const out = b.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Feeds `input` through `stream` in the given chunk sizes (cycled); returns the output chunks joined. */
export async function pipe(
  stream: TransformStream<Uint8Array, Uint8Array>,
  input: Uint8Array,
  chunkSizes: number[] = [65536],
): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  const out: Uint8Array[] = [];
  const reading = (async () => {
    const reader = stream.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      out.push(value);
    }
  })();
  const writing = (async () => {
    let off = 0;
    let k = 0;
    while (off < input.length) {
      const n = Math.max(1, chunkSizes[k++ % chunkSizes.length]!);
      await writer.write(input.subarray(off, off + n));
      off += n;
    }
    await writer.close();
  })();
  const [w, r] = await Promise.allSettled([writing, reading]);
  if (r.status === 'rejected') throw r.reason;
  if (w.status === 'rejected') throw w.reason;
  return concat(...out);
}

/** Runs `fn` and returns the typed error it throws (failing when it does not throw one). */
export async function typedError(fn: () => Promise<unknown>): Promise<KMSServiceException> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a typed error').toBeInstanceOf(KMSServiceException);
  return caught as KMSServiceException;
}

export async function expectError(fn: () => Promise<unknown>, name: string): Promise<KMSServiceException> {
  const e = await typedError(fn);
  expect(e.name, e.message).toBe(name);
  return e;
}

/** Byte equality without vitest's element-by-element diff (which chokes on megabytes). */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.length);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.length);
  if (a.equals(b)) return;
  let i = 0;
  while (i < Math.min(a.length, b.length) && a[i] === b[i]) i++;
  expect.fail(`bytes differ: lengths ${a.length} vs ${b.length}, first difference at ${i}`);
}

/** Splits an envelope into [header+MAC, segment items..., signature item?] by reading byte-string heads. */
export function splitItems(envelope: Uint8Array, headerLength: number): { prefix: Uint8Array; segments: Uint8Array[]; tail: Uint8Array } {
  const segments: Uint8Array[] = [];
  let o = headerLength;
  while (o < envelope.length && envelope[o]! >> 5 === 2) {
    const info = envelope[o]! & 0x1f;
    const extra = info < 24 ? 0 : 1 << (info - 24);
    let len = info;
    if (extra) {
      len = 0;
      for (let i = 1; i <= extra; i++) len = len * 256 + envelope[o + i]!;
    }
    const size = 1 + extra + len;
    segments.push(envelope.subarray(o, o + size));
    o += size;
  }
  return { prefix: envelope.subarray(0, headerLength), segments, tail: envelope.subarray(o) };
}
