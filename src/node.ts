/**
 * kmsbox/node: the Node-only entry point. It re-exports everything from `kmsbox`; Node-only
 * pieces (the file provider, the HTTP server, the file audit sink) join it as they land.
 */
export * from './index.js';
export { startServer, type ServeOptions, type RunningServer } from './server/http-server.js';
export { type ChangeRootKeyOptions, FileProvider, type FileProviderOptions } from './providers/file.js';
export { FileAuditSink, verifyAuditLog, type FileAuditSinkOptions, type AuditLogReport } from './audit/file-log.js';
export { encryptFile, decryptFile } from './envelope/files.js';
export { createEncryptNodeStream, createDecryptNodeStream } from './envelope/node-streams.js';
