// Loads a gzipped Wycheproof vector file shipped in test/vectors/wycheproof.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface WycheproofFile<G> {
  algorithm: string;
  numberOfTests: number;
  testGroups: G[];
}

export function loadVectors<G>(name: string): WycheproofFile<G> {
  const path = new URL(`../vectors/wycheproof/${name}.json.gz`, import.meta.url);
  return JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as WycheproofFile<G>;
}

export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
