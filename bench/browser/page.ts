/**
 * The page bench/browser.ts loads in Chromium (bundled by esbuild from src/): an envelope stream
 * (createEncryptStream piped into createDecryptStream, in-process Kms) beside raw `crypto.subtle`
 * AES-GCM over the same segments (kmsbox's default size in a browser), each timed in the page. The
 * plaintext goes in as 256 KiB chunks. `floor` is what any envelope stream of this format pays for
 * the WHATWG stream machinery: raw crypto.subtle in two TransformStreams, nothing of kmsbox.
 */
import { createDecryptStream, createEncryptStream, Kms } from '../../src/index.js';
import { defaultSegmentSizeLog2 } from '../../src/envelope/options.js';

/** The segments the stream writes (the default here) and the raw loop encrypts. */
const SEGMENT = 2 ** defaultSegmentSizeLog2();
const CHUNK = 256 * 1024;

declare global {
  interface Window {
    bench: {
      /** Returns the segment size measured. */
      setup(mib: number): Promise<number>;
      raw(): Promise<number>;
      stream(): Promise<number>;
      floor(): Promise<number>;
      /** Milliseconds spent inside the crypto.subtle calls themselves, and in all, over the raw loop. */
      inCall(): Promise<{ inCall: number; total: number }>;
      check(): Promise<boolean>;
      parts(): Promise<Record<string, number>>;
    };
  }
}

let data = new Uint8Array(0);
let kms: Kms;
let keyId = '';
let rawKey: CryptoKey;

/** The plaintext as the stream's chunks, 256 KiB each (views, no copies). */
const chunks = (): ReadableStream<Uint8Array> => {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= data.length) return controller.close();
      controller.enqueue(data.subarray(at, at + CHUNK));
      at += CHUNK;
    },
  });
};

const piped = (): ReadableStream<Uint8Array> =>
  chunks()
    .pipeThrough(createEncryptStream({ kms, keyId }))
    .pipeThrough(createDecryptStream({ kms, keyIds: [keyId] }));

window.bench = {
  async setup(mib) {
    data = new Uint8Array(mib * 1024 * 1024);
    for (let at = 0; at < data.length; at += 65536) crypto.getRandomValues(data.subarray(at, at + 65536));
    kms = new Kms();
    keyId = (await kms.createKey({})).KeyMetadata!.Arn!;
    rawKey = await crypto.subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), 'AES-GCM', false, ['encrypt', 'decrypt']);
    return SEGMENT;
  },

  /** Raw WebCrypto: each segment encrypted, then decrypted, one after the other (nonce per segment, a 32-byte AAD as kmsbox's). */
  async raw() {
    const aad = new Uint8Array(32);
    const t = performance.now();
    let total = 0;
    for (let at = 0, i = 0; at < data.length; at += SEGMENT, i++) {
      const iv = new Uint8Array(12);
      new DataView(iv.buffer).setUint32(7, i);
      const params = { name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 };
      const sealed = await crypto.subtle.encrypt(params, rawKey, data.subarray(at, at + SEGMENT));
      total += (await crypto.subtle.decrypt(params, rawKey, sealed)).byteLength;
    }
    if (total !== data.length) throw new Error('raw: lost bytes');
    return performance.now() - t;
  },

  /**
   * raw crypto.subtle in two TransformStreams, shaped as the format makes any envelope stream: a
   * segment is sealed once the next chunk shows it is not the final one (its nonce says which),
   * goes out as a head chunk and the sealed bytes, and is opened once the next item's head shows
   * the same. The plumbing alone: no KMS, no key schedule, no parsing.
   */
  async floor() {
    const aad = new Uint8Array(32);
    const params = (i: number, final: boolean) => {
      const iv = new Uint8Array(12);
      new DataView(iv.buffer).setUint32(7, i);
      iv[11] = final ? 1 : 0;
      return { name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 };
    };
    let sealing = 0;
    let opening = 0;
    let held: Uint8Array | undefined;
    let pending: Uint8Array | undefined;
    const seal = (p: Uint8Array, final: boolean, c: TransformStreamDefaultController<Uint8Array>) =>
      crypto.subtle.encrypt(params(sealing++, final), rawKey, p as BufferSource).then((s) => {
        c.enqueue(new Uint8Array(5));
        c.enqueue(new Uint8Array(s));
      });
    const open = (s: Uint8Array, final: boolean, c: TransformStreamDefaultController<Uint8Array>) =>
      crypto.subtle.decrypt(params(opening++, final), rawKey, s as BufferSource).then((p) => c.enqueue(new Uint8Array(p)));
    const t = performance.now();
    let total = 0;
    await chunks()
      .pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform: (chunk, c) => {
            const p = held;
            held = chunk;
            return p && seal(p, false, c);
          },
          flush: (c) => seal(held!, true, c),
        }),
      )
      .pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform: (chunk, c) => {
            if (chunk.length > 5) return void (pending = chunk);
            const s = pending;
            pending = undefined;
            return s && open(s, false, c);
          },
          flush: (c) => open(pending!, true, c),
        }),
      )
      .pipeTo(new WritableStream({ write: (chunk) => void (total += chunk.length) }));
    if (total !== data.length) throw new Error('floor: lost bytes');
    return performance.now() - t;
  },

  /** Whether crypto.subtle answers on the page's own thread: time inside the calls against the loop's total. */
  async inCall() {
    const aad = new Uint8Array(32);
    let inCall = 0;
    const t = performance.now();
    for (let at = 0; at < data.length; at += SEGMENT) {
      const params = { name: 'AES-GCM', iv: new Uint8Array(12), additionalData: aad, tagLength: 128 };
      let c = performance.now();
      const sealing = crypto.subtle.encrypt(params, rawKey, data.subarray(at, at + SEGMENT));
      inCall += performance.now() - c;
      const sealed = await sealing;
      c = performance.now();
      const opening = crypto.subtle.decrypt(params, rawKey, sealed);
      inCall += performance.now() - c;
      await opening;
    }
    return { inCall, total: performance.now() - t };
  },

  /** The envelope stream, read to the end (every byte counted). */
  async stream() {
    const t = performance.now();
    let total = 0;
    await piped().pipeTo(new WritableStream({ write: (chunk) => void (total += chunk.length) }));
    if (total !== data.length) throw new Error('stream: lost bytes');
    return performance.now() - t;
  },

  /** Each half alone, and the raw loop's halves: where the time goes. */
  async parts() {
    const out: Record<string, number> = {};
    let t = performance.now();
    const envelope: Uint8Array[] = [];
    await chunks()
      .pipeThrough(createEncryptStream({ kms, keyId }))
      .pipeTo(new WritableStream({ write: (c) => void envelope.push(c) }));
    out.encryptStream = performance.now() - t;
    t = performance.now();
    let i = 0;
    await new ReadableStream<Uint8Array>({ pull: (c) => (i < envelope.length ? c.enqueue(envelope[i++]!) : c.close()) })
      .pipeThrough(createDecryptStream({ kms, keyIds: [keyId] }))
      .pipeTo(new WritableStream({ write: () => undefined }));
    out.decryptStream = performance.now() - t;
    const aad = new Uint8Array(32);
    const sealed: ArrayBuffer[] = [];
    t = performance.now();
    for (let at = 0; at < data.length; at += SEGMENT) {
      const iv = new Uint8Array(12);
      sealed.push(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, rawKey, data.subarray(at, at + SEGMENT)));
    }
    out.rawEncrypt = performance.now() - t;
    t = performance.now();
    for (const s of sealed) await crypto.subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: aad }, rawKey, s);
    out.rawDecrypt = performance.now() - t;
    out.chunks = envelope.length;
    // The stream machinery alone: the same chunks through two transforms that only pass them on.
    t = performance.now();
    await chunks()
      .pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform: async (c, ctl) => {
            ctl.enqueue(c.subarray(0, 3));
            ctl.enqueue(c);
          },
        }),
      )
      .pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform: async (c, ctl) => {
            if (c.length > 3) ctl.enqueue(c);
          },
        }),
      )
      .pipeTo(new WritableStream({ write: () => undefined }));
    out.identityPipe = performance.now() - t;
    // Raw again with the encryption of segment i+1 in flight while segment i is decrypted.
    t = performance.now();
    let next = crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: aad }, rawKey, data.subarray(0, SEGMENT));
    for (let at = 0; at < data.length; at += SEGMENT) {
      const sealedNow = await next;
      if (at + SEGMENT < data.length)
        next = crypto.subtle.encrypt(
          { name: 'AES-GCM', iv: new Uint8Array(12), additionalData: aad },
          rawKey,
          data.subarray(at + SEGMENT, at + 2 * SEGMENT),
        );
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: aad }, rawKey, sealedNow);
    }
    out.rawOverlapped = performance.now() - t;
    t = performance.now();
    for (let at = 0; at < data.length; at += SEGMENT) {
      const sealedNow = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv: new Uint8Array(12), additionalData: aad },
        rawKey,
        data.subarray(at, at + SEGMENT),
      );
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: aad }, rawKey, sealedNow);
    }
    out.rawSequential = performance.now() - t;
    return out;
  },

  /** Whether the stream gives back exactly the plaintext (outside the timed runs). */
  async check() {
    const out = new Uint8Array(await new Response(piped()).arrayBuffer());
    return out.length === data.length && out.every((b, i) => b === data[i]);
  },
};
