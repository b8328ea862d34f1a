// K_enc (both suites) is wiped however a stream ends: well, on a bad chunk, when its consumer
// cancels or its producer aborts (found by the attacker review of session 9: only the happy path
// wiped it; these fail without the fix).
import { describe, expect, it, vi } from 'vitest';
import { createDecryptStream, createEncryptStream, encryptEnvelope } from 'kmsbox';
import { bytes, setup } from '../envelope/helpers.js';

const seen = vi.hoisted(() => ({ keys: [] as Uint8Array[] }));
vi.mock('../../src/envelope/segments.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../src/envelope/segments.js')>();
  return {
    ...m,
    segmentCipher: (encKey: Uint8Array, aad: Uint8Array, using?: never) => {
      seen.keys.push(encKey);
      return m.segmentCipher(encKey, aad, using);
    },
  };
});

const zero = (k: Uint8Array) => k.every((b) => b === 0);
const last = () => seen.keys[seen.keys.length - 1]!;

describe.each([1, 2] as const)('suite %i: K_enc is wiped when a stream ends badly', (suite) => {
  it('control: a stream that ends well wipes K_enc', async () => {
    const { kms, keyIds } = await setup();
    const t = createEncryptStream({ kms, keyId: keyIds[0]!, suite, segmentSize: 4096 });
    const out = new Response(t.readable).arrayBuffer();
    const w = t.writable.getWriter();
    await w.write(bytes(100));
    await w.close();
    await out;
    expect(zero(last())).toBe(true);
  });

  it('encrypt stream: a chunk that is not bytes errors the stream and wipes K_enc', async () => {
    const { kms, keyIds } = await setup();
    const t = createEncryptStream({ kms, keyId: keyIds[0]!, suite, segmentSize: 4096 });
    const out = new Response(t.readable).arrayBuffer().catch((e: unknown) => e);
    const w = t.writable.getWriter();
    await w.write(bytes(5000)); // one segment sealed: the key is live
    await w.write('not bytes' as never).catch(() => undefined);
    await out;
    expect(zero(last()), 'K_enc after a failed encrypt stream').toBe(true);
  });

  it('encrypt stream: a producer that aborts wipes K_enc', async () => {
    const { kms, keyIds } = await setup();
    const t = createEncryptStream({ kms, keyId: keyIds[0]!, suite, segmentSize: 4096 });
    void new Response(t.readable).arrayBuffer().catch(() => undefined);
    const w = t.writable.getWriter();
    await w.write(bytes(5000));
    await w.abort(new Error('upload cancelled'));
    expect(zero(last()), 'K_enc after an aborted encrypt stream').toBe(true);
  });

  it('decrypt stream: a consumer that cancels after the first segment wipes K_enc', async () => {
    const { kms, keyIds } = await setup();
    const envelope = await encryptEnvelope(bytes(3 * 4096), { kms, keyId: keyIds[0]!, suite, segmentSize: 4096 });
    const t = createDecryptStream({ kms, keyIds });
    const w = t.writable.getWriter();
    const r = t.readable.getReader();
    void w.write(envelope.subarray(0, envelope.length - 100)).catch(() => undefined);
    const first = await r.read(); // verified plaintext of segment 0: the session is open
    expect(first.done).toBe(false);
    await r.cancel('enough');
    await w.abort().catch(() => undefined);
    expect(zero(last()), 'K_enc after a cancelled decrypt stream').toBe(true);
  });
});
