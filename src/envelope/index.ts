/** The kmsbox envelope format: data of any size under a data key wrapped by one or more KMS keys. */
export { encryptEnvelope, createEncryptStream } from './encrypt.js';
export { decryptEnvelope, createDecryptStream, inspectEnvelope, type EnvelopeInfo } from './decrypt.js';
export { decryptRange, type RangeRead, type ByteRange } from './range.js';
export { DataKeyCache, type DataKeyCacheOptions } from './cache.js';
export type { KmsLike } from './kms-like.js';
export type { EncryptOptions, DecryptOptions, EnvelopeResult, RangeOptions, RangeResult } from './options.js';
export type { DiscoveryFilter } from './trust.js';
