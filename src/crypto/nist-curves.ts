/**
 * The NIST curves kmsbox uses, as the one module a lazy `import()` names: a dynamic import keeps
 * every export of the module it names, and @noble/curves/nist.js also exports hash-to-curve and
 * OPRF code kmsbox never calls.
 */
export { p256, p384, p521 } from '@noble/curves/nist.js';
