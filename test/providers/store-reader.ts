// Reading a FileProvider store file as only the root key's holder can (store-file.ts has the
// layout): for tests, and for the workers they bundle (so: no vitest here).
import { readFileSync } from 'node:fs';
import type { StoreState } from '../../src/keys/record.js';
import { readEntries } from '../../src/providers/journal.js';
import { applyChanges, type RecordChange } from '../../src/providers/records.js';
import { decodeSnapshot } from '../../src/providers/snapshot-payload.js';
import { openStoreFile, parseSnapshotLines, parseStoreFile, payloadTag } from '../../src/providers/store-file.js';

/** The header of a store file: the whole file for versions 1 and 2 (with its payload), its first line for versions 3 and 4 (without). */
export function headerOf(path: string): {
  format: string;
  version: number;
  generation: number;
  storeId?: string;
  hwm?: boolean;
  kdf: { name: string; N?: number; r?: number; p?: number; salt?: string };
  nonce: string;
  payload?: string;
} {
  const text = readFileSync(path, 'utf8');
  const nl = text.indexOf('\n');
  return JSON.parse(nl < 0 ? text : text.slice(0, nl));
}

export const generationOf = (path: string): number => headerOf(path).generation;

/** The complete journal lines of a version-3 store file (the entries after header and payload lines). */
export function journalLines(path: string): string[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.pop(); // after the last `\n`: empty, or a torn entry
  return lines.slice(2);
}

/**
 * Opens the store file with its root key, as only the key's holder can: the snapshot's state and
 * material with every journal entry applied, and the plaintexts it was made from.
 */
export function decryptStore(
  path: string,
  rootKey: Uint8Array,
): { state: StoreState; materials: Record<string, { spec: string; key: string }>; plaintexts: string[] } {
  const bytes = readFileSync(path);
  const first = bytes.indexOf(0x0a);
  const nl = first < 0 ? -1 : bytes.indexOf(0x0a, first + 1);
  const file =
    first < 0
      ? parseStoreFile(bytes.toString('utf8'))
      : parseSnapshotLines(bytes.subarray(0, first).toString(), bytes.subarray(first + 1, nl).toString());
  const plain = openStoreFile(rootKey, file);
  const decoded = decodeSnapshot(plain, file.version);
  const state = decoded.state;
  const materials: Record<string, { spec: string; key: string }> = Object.fromEntries(decoded.materials);
  // Version 4 holds material as raw bytes: its plaintext also as hex, and its materials in base64.
  const snapshot =
    file.version === 4 ? `${plain.toString('latin1')}\n${plain.toString('hex')}\n${JSON.stringify(materials)}` : plain.toString('utf8');
  const plaintexts = [snapshot];
  if (nl >= 0) {
    const { entries } = readEntries(
      rootKey,
      { storeId: file.storeId!, generation: file.generation },
      { seq: 0, tag: payloadTag(file) },
      bytes.subarray(nl + 1),
    );
    for (const e of entries) {
      const text = e.plaintext.toString('utf8');
      plaintexts.push(text);
      const entry = JSON.parse(text) as { records: RecordChange[]; materials: Array<[string, { spec: string; key: string } | null]> };
      applyChanges(state, entry.records);
      for (const [id, m] of entry.materials) {
        if (m === null) delete materials[id];
        else materials[id] = m;
      }
    }
  }
  return { state, materials, plaintexts };
}
