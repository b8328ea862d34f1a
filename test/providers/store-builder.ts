// A FileProvider store of N keys written directly as one snapshot (what a compaction writes), for
// tests and benchmarks that need a large store: N CreateKeys would take minutes. Each key is a
// copy of one real CreateKey's record with its own key id, ARN and material (32 random bytes).
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { Kms } from '../../src/index.js';
import { newMaterialId } from '../../src/keys/arn.js';
import type { KeyRecord } from '../../src/keys/record.js';
import { FileProvider } from '../../src/node.js';
import { encodeSnapshot, type SnapshotPayload } from '../../src/providers/snapshot-payload.js';
import { checkValue, sealStoreFile, snapshotLines } from '../../src/providers/store-file.js';
import { decryptStore, headerOf } from './store-reader.js';

/** Writes a store of `keys` symmetric keys at `path` (root key file `rootKeyFile`, whose bytes are `rootKey`), with no high-water mark yet. */
export async function buildStore(path: string, rootKeyFile: string, rootKey: Uint8Array, keys: number): Promise<void> {
  const provider = new FileProvider({ path, rootKeyFile });
  await new Kms({ provider }).createKey({ Description: 'template' });
  const header = headerOf(path);
  const { state, materials } = decryptStore(path, rootKey);
  const template = Object.values(state.keys)[0]!;
  const spec = Object.values(materials)[0]!.spec;
  state.keys = {};
  for (const id in materials) delete materials[id];
  for (let i = 0; i < keys; i++) {
    const keyId = randomUUID();
    const materialId = newMaterialId();
    const record: KeyRecord = {
      ...template,
      keyId,
      arn: template.arn.replace(template.keyId, keyId),
      materials: template.materials.map((m) => ({ ...m, id: materialId })),
    };
    state.keys[record.arn] = record;
    materials[materialId] = { spec, key: randomBytes(32).toString('base64') };
  }
  const file = sealStoreFile(
    rootKey,
    {
      format: 'kmsbox-store',
      version: 4,
      kdf: { name: 'root-key-file' },
      check: checkValue(rootKey),
      generation: header.generation + 1,
      storeId: header.storeId!,
      hwm: false,
    },
    encodeSnapshot({ state, materials: new Map(Object.entries(materials)) } as SnapshotPayload, 4),
  );
  writeFileSync(path, snapshotLines(file), { mode: 0o600 });
  rmSync(`${path}.hwm`, { force: true });
}
