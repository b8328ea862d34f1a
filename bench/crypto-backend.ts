/**
 * The cases that run through the crypto backends (issue #12 §3), each beside its node:crypto
 * ceiling in the same process: Encrypt + Decrypt 4 KiB, Sign + Verify P-256 and Ed25519, an
 * envelope 4 KiB round trip and a 64 MiB envelope stream. Prints one line per case (ratio to the
 * ceiling) so runs before and after a change can be compared. On `dist/`: `npm run build` first,
 * then `npx tsx bench/crypto-backend.ts`.
 */
import { createCipheriv, createDecipheriv, generateKeyPairSync, randomBytes, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { cryptoFloor } from './floor.js';
import { compare, machine } from './harness.js';
import { kmsbox, coreCases, streamRoundTrip } from './lib.js';

const { Kms, decryptEnvelope, encryptEnvelope } = kmsbox;
const rows: Array<{ name: string; ceiling: number; ours: number; unit: string }> = [];
const kms = new Kms();
const context = { tenant: 't-0042', purpose: 'bench' };

{
  const KeyId = (await kms.createKey()).KeyMetadata!.KeyId!;
  const core = coreCases(kms, KeyId, randomBytes(4096), context);
  const [raw, ours] = await compare([core.raw, core.kms], { rounds: 5, roundMs: 400 });
  rows.push({
    name: 'kms.encrypt + kms.decrypt 4 KiB (vs raw AES-256-GCM)',
    ceiling: raw!.opsPerSecond,
    ours: ours!.opsPerSecond,
    unit: 'ops/s',
  });
}

{
  const message = randomBytes(100);
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ed = generateKeyPairSync('ed25519');
  const cases = [
    {
      name: 'ECDSA P-256',
      KeySpec: 'ECC_NIST_P256',
      SigningAlgorithm: 'ECDSA_SHA_256',
      raw: () =>
        nodeVerify(
          'sha256',
          message,
          { key: ec.publicKey, dsaEncoding: 'der' },
          nodeSign('sha256', message, { key: ec.privateKey, dsaEncoding: 'der' }),
        ),
    },
    {
      name: 'Ed25519',
      KeySpec: 'ECC_NIST_EDWARDS25519',
      SigningAlgorithm: 'ED25519_SHA_512',
      raw: () => nodeVerify(null, message, ed.publicKey, nodeSign(null, message, ed.privateKey)),
    },
  ] as const;
  for (const c of cases) {
    const KeyId = (await kms.createKey({ KeySpec: c.KeySpec, KeyUsage: 'SIGN_VERIFY' })).KeyMetadata!.KeyId!;
    const { SigningAlgorithm } = c;
    const [raw, ours] = await compare(
      [
        { name: 'raw', run: c.raw },
        {
          name: 'kms',
          run: async () => {
            const { Signature } = await kms.sign({ KeyId, Message: message, SigningAlgorithm });
            await kms.verify({ KeyId, Message: message, Signature, SigningAlgorithm });
          },
        },
      ],
      { rounds: 5, roundMs: 400 },
    );
    rows.push({
      name: `kms.sign + kms.verify ${c.name} (vs node:crypto)`,
      ceiling: raw!.opsPerSecond,
      ours: ours!.opsPerSecond,
      unit: 'ops/s',
    });
  }
}

const keyId = (await kms.createKey()).KeyMetadata!.KeyId!;
{
  const payload = randomBytes(4096);
  const [floor, ours] = await compare(
    [
      { name: 'floor', run: cryptoFloor(payload, 2) },
      {
        name: 'envelope',
        run: async () => {
          const envelope = await encryptEnvelope(payload, { kms, keyId, encryptionContext: context });
          await decryptEnvelope(envelope, { kms, keyIds: [keyId] });
        },
      },
    ],
    { rounds: 5, roundMs: 500 },
  );
  rows.push({
    name: 'envelope 4 KiB round trip (vs the node:crypto floor)',
    ceiling: floor!.opsPerSecond,
    ours: ours!.opsPerSecond,
    unit: 'msg/s',
  });
}

{
  const TOTAL = 64 * 2 ** 20;
  const CHUNK = 64 * 1024;
  const source = randomBytes(2 ** 20 + CHUNK);
  const chunkAt = (o: number) => source.subarray(o % 2 ** 20, (o % 2 ** 20) + CHUNK);
  const raw = async () => {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const enc = createCipheriv('aes-256-gcm', key, iv);
    const dec = createDecipheriv('aes-256-gcm', key, iv);
    for (let o = 0; o < TOTAL; o += CHUNK) dec.update(enc.update(chunkAt(o)));
    enc.final();
    dec.setAuthTag(enc.getAuthTag());
    dec.final();
  };
  const ours = () => streamRoundTrip({ kms, keyId, context, total: TOTAL, chunk: CHUNK, chunkAt });
  const mibs = async (fn: () => Promise<void>) => {
    const t = performance.now();
    await fn();
    return TOTAL / 2 ** 20 / ((performance.now() - t) / 1000);
  };
  await mibs(raw);
  await mibs(ours);
  const samples: [number[], number[]] = [[], []];
  for (let r = 0; r < 5; r++) {
    samples[0].push(await mibs(raw));
    samples[1].push(await mibs(ours));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  rows.push({
    name: 'envelope stream 64 MiB, encrypt piped into decrypt (vs raw AES-256-GCM)',
    ceiling: median(samples[0]),
    ours: median(samples[1]),
    unit: 'MiB/s',
  });
}

console.log(`${machine()}\n`);
console.log('| case | ceiling | kmsbox | ratio |\n|---|---:|---:|---:|');
for (const r of rows) {
  const f = (x: number) => `${Math.round(x).toLocaleString('en-US')} ${r.unit}`;
  console.log(`| ${r.name} | ${f(r.ceiling)} | ${f(r.ours)} | ${((r.ours / r.ceiling) * 100).toFixed(0)}% |`);
}
