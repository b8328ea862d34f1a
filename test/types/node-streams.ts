// The README's Node stream example, type-checked (tsc --strict, @types/node): the envelope streams are
// typed with the DOM's TransformStream, Readable.toWeb with node:stream/web's, so the example casts.
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import type { TransformStream as NodeTransformStream } from 'node:stream/web';
import { Kms, createDecryptStream, createEncryptStream } from 'kmsbox';

const kms = new Kms();
export async function roundTrip(): Promise<void> {
  const encrypt = createEncryptStream({ kms, keyId: 'alias/files' }) as unknown as NodeTransformStream<Uint8Array, Uint8Array>;
  await Readable.toWeb(createReadStream('in.bin'))
    .pipeThrough(encrypt)
    .pipeTo(Writable.toWeb(createWriteStream('out.kmsbox')));
  const decrypt = createDecryptStream({ kms }) as unknown as NodeTransformStream<Uint8Array, Uint8Array>;
  await Readable.toWeb(createReadStream('out.kmsbox'))
    .pipeThrough(decrypt)
    .pipeTo(Writable.toWeb(createWriteStream('in.bin')));
}
