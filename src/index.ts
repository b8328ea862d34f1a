/** kmsbox: the AWS KMS API in-process. This entry point is browser-safe (no Node built-ins). */
export { Kms, type KmsOptions, type SdkCommand } from './kms.js';
export * from './commands.js';
export * from './errors.js';
export * from './api/enums.js';
export type * from './api/shapes.js';
export type { InputOf, OutputOf, OperationName } from './api/operations.js';
export type { KmsMethods } from './api/kms-methods.js';
export { KEY_SPECS, type KeySpecInfo } from './api/key-specs.js';
export { ManualClock, systemClock, type Clock, type ClockOption } from './clock.js';
export { MemoryProvider } from './providers/memory.js';
export type { KeyMaterialProvider, MaterialStore, RecordStore, SealRequest, OpenRequest } from './providers/types.js';
export type { KeyRecord, AliasRecord, StoreState, MaterialVersion, TagRecord, RotationSettings } from './keys/record.js';
export { createRequestHandler, type KmsRequestHandler, type SdkHttpRequest } from './protocol/sdk-request-handler.js';
export {
  handleWireRequest,
  type WireRequest,
  type WireResponse,
  type WireOptions,
  type KmsTarget,
  type RequestScope,
} from './protocol/wire-handler.js';
export { WebCryptoProvider, type WebCryptoProviderOptions } from './providers/webcrypto.js';
export { verifySigV4, type SigV4Credential, type SigV4Request, type SigV4Result } from './protocol/sigv4.js';
export * from './envelope/index.js';
export { MemoryAuditSink, type AuditEvent, type AuditSink, type AuditOption } from './audit/event.js';
