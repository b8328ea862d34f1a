/**
 * kmsbox/testing: fake AWS KMS for code that makes its own @aws-sdk/client-kms clients. Node only;
 * @aws-sdk/client-kms is an optional peer dependency, loaded from the project when a fake is installed.
 */
export { installKmsFake, type KmsFake, type KmsFakeOptions } from './fake.js';
export type { FailOptions, LatencyOptions } from './faults.js';
export type { KmsCall } from './history.js';
export type { Seed } from './seeded.js';
export type { SdkClientClass } from './sdk.js';
