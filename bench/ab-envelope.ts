/**
 * Two builds of kmsbox in one process, rounds alternating, on the envelope 4 KiB round trip and
 * `kms.encrypt` + `kms.decrypt` 4 KiB only (bench/ab.ts runs every case): after/before per CPU
 * second, median (min–max) of the round ratios, and µs of CPU per operation.
 * `npx tsx bench/ab-envelope.ts <before dist dir> [<after dist dir, default dist/>] [rounds]`.
 */
import { randomBytes } from 'node:crypto';
import { compare, loadBuilds, median, type Result } from './harness.js';

type Lib = any;
const { before, after, rounds } = await loadBuilds();
const context = { tenant: 't-0042', purpose: 'bench' };
const payload = randomBytes(4096);

const envelope = async (lib: Lib) => {
  const kms = new lib.Kms();
  const keyId = (await kms.createKey()).KeyMetadata.KeyId;
  return async () => {
    const e = await lib.encryptEnvelope(payload, { kms, keyId, encryptionContext: context });
    await lib.decryptEnvelope(e, { kms, keyIds: [keyId] });
  };
};
const core = async (lib: Lib) => {
  const kms = new lib.Kms();
  const KeyId = (await kms.createKey()).KeyMetadata.KeyId;
  return async () => {
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: payload, EncryptionContext: context });
    await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
  };
};
const dataKey = async (lib: Lib) => {
  const kms = new lib.Kms();
  const KeyId = (await kms.createKey()).KeyMetadata.KeyId;
  return async () => {
    const { CiphertextBlob } = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256', EncryptionContext: context });
    await kms.decrypt({ CiphertextBlob, KeyId, EncryptionContext: context });
  };
};

const report = (name: string, r: Result[]) => {
  const ratios = r[1]!.cpuRounds.map((x, i) => x / r[0]!.cpuRounds[i]!);
  const us = (x: Result) => (1e6 / median(x.cpuRounds)).toFixed(1);
  console.log(
    `${name}: after/before per CPU second ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}); µs CPU/op before ${us(r[0]!)} after ${us(r[1]!)}`,
  );
};
for (const [name, make] of [
  ['envelope 4 KiB', envelope],
  ['kms.encrypt + kms.decrypt 4 KiB', core],
  ['generateDataKey + decrypt (KeyId)', dataKey],
] as const) {
  const r = await compare(
    [
      { name: 'before', run: await make(before) },
      { name: 'after', run: await make(after) },
    ],
    { rounds, roundMs: 250 },
  );
  report(name, r);
}
