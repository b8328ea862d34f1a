/**
 * The crypto backend of this runtime, chosen once, by one probe: node:crypto when the runtime hands
 * it out through `process.getBuiltinModule` (Node ≥ 20.16), else the portable backend (WebCrypto and
 * @noble). The probe rather than package.json `"imports"` conditions: the `kmsbox` entry is one
 * bundled file for Node and browsers alike (tsup would resolve a condition at build time), and
 * `getBuiltinModule` keeps every `node:` import out of browser bundles.
 */
import { nodeBackend, type NodeCrypto } from './node.js';
import { portableBackend } from './portable.js';
import type { CryptoBackend } from './types.js';

export type { AesGcmKey, AsymmetricBackend, CryptoBackend, Hasher, HmacHash, OaepAlgorithm } from './types.js';

const processLike = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
const nodeCrypto = processLike?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;

/** node:crypto's backend, where the runtime has it (tests compare the two). */
export const nodeCryptoBackend: CryptoBackend | undefined = nodeCrypto && nodeBackend(nodeCrypto);
/** WebCrypto and @noble: what a browser runs, and what Node runs when tests ask for it. */
export const webBackend: CryptoBackend = portableBackend(globalThis.crypto?.subtle);

/** The one every caller uses. */
export const backend: CryptoBackend = nodeCryptoBackend ?? webBackend;
