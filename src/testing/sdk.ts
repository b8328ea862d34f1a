/**
 * The AWS SDK's KMSClient class, from the user's own @aws-sdk/client-kms (an optional peer
 * dependency of kmsbox: only kmsbox/testing loads it, and only when asked to).
 */
import { createRequire } from 'node:module';
import { ValidationException } from '../errors.js';

// The CommonJS build (where import.meta is empty) uses its module's own require: under jest that
// is jest's module registry, the one the code under test loads the SDK from.
declare const require: (id: string) => unknown;

/** The parts of an SDK v3 client the fake touches: its resolved config and its handler cache. */
export interface SdkClient {
  config: { requestHandler?: unknown; credentials?: unknown; region?: unknown; useFipsEndpoint?: unknown };
  handlers?: unknown;
}

/** A client class: `KMSClient` (the aggregated `KMS` class extends it). */
export interface SdkClientClass {
  readonly prototype: object;
  readonly name: string;
}

export function defaultClientClass(): SdkClientClass {
  let sdk: { KMSClient?: unknown };
  try {
    // The SDK ships no "exports" map: Node loads its CommonJS build from ESM and CJS alike, so
    // this is the class the code under test gets from `import { KMSClient } from '@aws-sdk/client-kms'`.
    const url = import.meta.url as string | undefined;
    sdk = (url ? createRequire(url) : require)('@aws-sdk/client-kms') as { KMSClient?: unknown };
  } catch (cause) {
    throw new ValidationException({
      message: 'kmsbox/testing could not load @aws-sdk/client-kms: install it, or pass the class as installKmsFake({ client: KMSClient }).',
      cause,
    });
  }
  if (typeof sdk.KMSClient !== 'function') throw new ValidationException({ message: '@aws-sdk/client-kms has no KMSClient class.' });
  return sdk.KMSClient as SdkClientClass;
}
