/**
 * Envelope encryption of a file with streams: encrypt `<file>` to `<file>.kmsbox` under a KMS
 * key, then decrypt it back to `<file>.out`, printing progress. Memory stays at about two
 * segments whatever the file size.
 *
 *   npx tsx examples/envelope-file.ts [file]      (without a file, a 50 MiB sample is made)
 */
import { createReadStream, createWriteStream, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Kms, createDecryptStream, createEncryptStream, inspectEnvelope } from 'kmsbox/node';

let input = process.argv[2];
if (input === undefined) {
  input = join(mkdtempSync(join(tmpdir(), 'kmsbox-envelope-')), 'sample.bin');
  writeFileSync(input, randomBytes(50 * 2 ** 20));
  console.log(`made a 50 MiB sample: ${input}`);
}
const encrypted = `${input}.kmsbox`;
const decrypted = `${input}.out`;

const kms = new Kms();
const { KeyMetadata } = await kms.createKey({ Description: 'file encryption' });
await kms.createAlias({ AliasName: 'alias/files', TargetKeyId: KeyMetadata!.KeyId });
const encryptionContext = { file: input.split('/').pop()! };

/** A pass-through that reports bytes as they go by. */
function progress(label: string, total: number): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  let lastPercent = -1;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.length;
      const percent = total === 0 ? 100 : Math.floor((seen / total) * 100);
      if (percent >= lastPercent + 10 || seen === total) {
        lastPercent = percent;
        process.stdout.write(`\r${label} ${percent}% (${(seen / 2 ** 20).toFixed(1)} MiB)`);
      }
      controller.enqueue(chunk);
    },
    flush: () => void process.stdout.write('\n'),
  });
}

const size = statSync(input).size;
await (Readable.toWeb(createReadStream(input)) as ReadableStream<Uint8Array>)
  .pipeThrough(progress('encrypting', size))
  .pipeThrough(createEncryptStream({ kms, keyId: 'alias/files', encryptionContext }))
  .pipeTo(Writable.toWeb(createWriteStream(encrypted)));

const header = inspectEnvelope(
  new Uint8Array(await new Response(Readable.toWeb(createReadStream(encrypted, { end: 4095 })) as ReadableStream).arrayBuffer()),
);
console.log(
  `wrote ${encrypted}: ${statSync(encrypted).size - size} bytes of overhead, ${header.segmentSize / 1024} KiB segments, wrapped by ${header.recipients[0]!.keyId}`,
);

// Decrypting: name the key you trust (a key ARN or key id; the envelope's header is not
// authenticated until a trusted key has unwrapped the data key), and act on the output only once
// the stream has finished without error.
await (Readable.toWeb(createReadStream(encrypted)) as ReadableStream<Uint8Array>)
  .pipeThrough(createDecryptStream({ kms, keyIds: [KeyMetadata!.Arn!], encryptionContext }))
  .pipeThrough(progress('decrypting', size))
  .pipeTo(Writable.toWeb(createWriteStream(decrypted)));

const digest = (path: string) =>
  new Promise<string>((resolve) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')));
  });
const [a, b] = await Promise.all([digest(input), digest(decrypted)]);
console.log(a === b ? `decrypted ${decrypted}: identical (sha256 ${a.slice(0, 16)}…)` : 'MISMATCH');
if (a !== b) process.exit(1);
