// Writes the golden vectors of one suite: `npx tsx test/vectors/envelope/generate.ts [suite]` writes
// golden.json for suite 1 (the default here), golden-suite2.json for suite 2. The vectors are
// frozen: write a file only for a new suite or format version, never to make a failing test pass
// (the KMS key ids are random, so a rewrite changes every vector).
import { writeFileSync } from 'node:fs';
import { generateKeyPairSync, hkdfSync } from 'node:crypto';
import { Kms } from '../../../src/index.js';
import { encryptEnvelopeWith as encryptEnvelope } from '../../../src/envelope/encrypt.js';
import { build } from '../../envelope/build.js';
import { stubKms } from '../../envelope/stub-kms.js';

const suite = Number(process.argv[2] ?? 1) as 1 | 2;
const file = suite === 1 ? './golden.json' : `./golden-suite${suite}.json`;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const seq = (start: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const dek = seq(0x00, 32);
const messageId = seq(0x20, 32);
const plaintextOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

const kms = new Kms({ region: 'eu-west-1', accountId: '111122223333' });
const keys = [];
for (let i = 0; i < 2; i++) keys.push((await kms.createKey({})).KeyMetadata!);
// A real kmsbox blob (names its own key: keyRef null) and an opaque 184-byte blob standing for an AWS one (keyRef = ARN).
const kmsboxBlob = (await kms.encrypt({ KeyId: keys[0]!.KeyId!, Plaintext: dek })).CiphertextBlob!;
const opaqueBlob = Uint8Array.from({ length: 184 }, (_, i) => (i * 13 + 1) & 0xff);
opaqueBlob[0] = 0x01;
opaqueBlob[1] = 0x02;
const r1 = { arn: keys[0]!.Arn!, blob: kmsboxBlob };
const r2 = { arn: 'arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab', blob: opaqueBlob };
const ed = generateKeyPairSync('ed25519');
const signerPkcs8 = new Uint8Array(ed.privateKey.export({ format: 'der', type: 'pkcs8' }));
const signerArn = 'arn:aws:kms:eu-west-1:111122223333:key/0d5e3a4f-1111-2222-3333-444455556666';

const cases: Array<{ name: string; length: number; segmentSize: number; recipients: typeof r1[]; context?: Record<string, string>; storeContext?: boolean; signed?: boolean }> = [
  { name: 'empty', length: 0, segmentSize: 4096, recipients: [r1] },
  { name: 'one byte', length: 1, segmentSize: 4096, recipients: [r1] },
  { name: 'exactly one segment', length: 4096, segmentSize: 4096, recipients: [r1] },
  { name: 'one segment and one byte', length: 4097, segmentSize: 4096, recipients: [r1] },
  { name: 'two full segments', length: 8192, segmentSize: 4096, recipients: [r1] },
  { name: 'default segment size, context stored', length: 100, segmentSize: 262144, recipients: [r1], context: { tenant: 't1', purpose: 'backup' } },
  { name: 'context withheld', length: 100, segmentSize: 4096, recipients: [r1], context: { tenant: 't1' }, storeContext: false },
  { name: 'two recipients (kmsbox blob, opaque blob with ARN)', length: 50, segmentSize: 4096, recipients: [r1, r2] },
  { name: 'signed with Ed25519', length: 5000, segmentSize: 4096, recipients: [r1], signed: true },
];

const vectors = [];
for (const c of cases) {
  const plaintext = plaintextOf(c.length);
  const stub = stubKms(dek, c.recipients, c.signed ? { arn: signerArn, pkcs8: signerPkcs8 } : undefined);
  const envelope = await encryptEnvelope(
    plaintext,
    {
      kms: stub,
      keyId: c.recipients.map((r) => r.arn),
      segmentSize: c.segmentSize,
      ...(c.context ? { encryptionContext: c.context } : {}),
      ...(c.storeContext === false ? { storeContext: false } : {}),
      ...(c.signed ? { signingKeyId: signerArn } : {}),
      suite,
    },
    { messageId },
  );
  vectors.push({
    name: c.name,
    plaintextLength: c.length,
    segmentSize: c.segmentSize,
    encryptionContext: c.context ?? {},
    storeContext: c.storeContext !== false,
    recipients: c.recipients.map((r) => ({ arn: r.arn, blob: hex(r.blob) })),
    ...(c.signed ? { signer: { arn: signerArn, pkcs8: hex(signerPkcs8) } } : {}),
    envelope: hex(envelope),
  });
}
// Three recipients, one of a type (9) this version does not know: written by the test builder.
const three = await build({
  dek,
  messageId,
  recipients: [
    { type: 9, keyRef: null, wrapped: new Uint8Array(0) },
    { type: 1, keyRef: null, wrapped: kmsboxBlob },
    { type: 1, keyRef: r2.arn, wrapped: opaqueBlob },
  ],
  segments: [plaintextOf(20)],
  suite,
});
vectors.push({ name: 'three recipients, the first of unknown type 9', plaintextLength: 20, segmentSize: 4096, encryptionContext: {}, storeContext: true, recipients: [r1, r2].map((r) => ({ arn: r.arn, blob: hex(r.blob) })), envelope: hex(three), writtenBy: 'test builder' });

const out = {
  about: `kmsbox envelope v1 golden vectors, suite ${suite} (docs/envelope-format.md). DEK = 00..1f, messageId = 20..3f, plaintext[i] = (31*i + 7) mod 256. Frozen: a reader must decrypt these forever; the writer must reproduce them byte for byte.`,
  suite,
  dek: hex(dek),
  messageId: hex(messageId),
  // Suite 1's key schedule depends on DEK and message id alone: computed by node:crypto's own HKDF, not by kmsbox.
  keySchedule: suite !== 1 ? undefined : (() => {
    const info = new TextEncoder().encode('kmsbox-envelope-v1\0\x01');
    const okm = new Uint8Array(hkdfSync('sha512', dek, messageId, info, 64));
    return { info: hex(info), encKey: hex(okm.subarray(0, 32)), macKey: hex(okm.subarray(32)) };
  })(),
  vectors,
};
writeFileSync(new URL(file, import.meta.url), JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${vectors.length} vectors`);
