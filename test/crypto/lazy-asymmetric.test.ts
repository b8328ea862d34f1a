// The asymmetric code is loaded on first use (src/lazy.ts), so crypto/asymmetric.ts answers
// canGenerate from its own table before anything is loaded: it must say what the loaded backends
// say, for every KeySpec. And a load that fails is tried again on the next call.
import { describe, expect, it } from 'vitest';
import { KeySpec } from 'kmsbox';
import { canGenerate } from '../../src/crypto/asymmetric.js';
import { backend, nodeCryptoBackend, webBackend } from '../../src/crypto/backend/index.js';
import { isMlDsa } from '../../src/crypto/ml-dsa-spec.js';
import { ML_DSA_SEED_BYTES, MU_BYTES, isMlDsa as isMlDsaOfModule } from '../../src/crypto/ml-dsa.js';
import { lazily } from '../../src/lazy.js';

describe('lazily loaded asymmetric code', () => {
  it('canGenerate, answered before loading, is what the loaded backend answers for every KeySpec', async () => {
    const specs = Object.values(KeySpec);
    const loaded = await backend.asymmetric();
    for (const spec of specs) expect([spec, canGenerate(spec)]).toEqual([spec, loaded.canGenerate(spec)]);
    // Both backends agree too (the portable one runs in browsers, where canGenerate answers for it).
    const [node, web] = [await nodeCryptoBackend!.asymmetric(), await webBackend.asymmetric()];
    for (const spec of specs) expect([spec, web.canGenerate(spec)]).toEqual([spec, node.canGenerate(spec)]);
    expect(specs.filter(canGenerate).length).toBe(8);
  });

  it('the loader returns one backend object, however many callers ask', async () => {
    const [a, b] = await Promise.all([webBackend.asymmetric(), webBackend.asymmetric()]);
    expect(a).toBe(b);
    expect(await webBackend.asymmetric()).toBe(a);
  });

  it('the ML-DSA spec module answers as the ML-DSA module', () => {
    for (const spec of Object.values(KeySpec)) expect(isMlDsa(spec)).toBe(isMlDsaOfModule(spec));
    expect(Object.values(KeySpec).filter(isMlDsa)).toEqual(['ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87']);
    expect([ML_DSA_SEED_BYTES, MU_BYTES]).toEqual([32, 64]);
  });

  it('a failed load is not remembered: the next call loads again; a successful one is', async () => {
    let calls = 0;
    const load = lazily(async () => {
      calls++;
      if (calls === 1) throw new Error('chunk lost');
      return { loaded: calls };
    });
    await expect(load()).rejects.toThrow('chunk lost');
    expect(await load()).toEqual({ loaded: 2 });
    expect(await load()).toEqual({ loaded: 2 });
    expect(calls).toBe(2);
  });
});
