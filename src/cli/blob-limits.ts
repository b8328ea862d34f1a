/// <reference types="node" />
/**
 * A `fileb://` argument larger than its member allows is refused from the file's size (stat), before
 * a byte of it is read: base64-encoding a 500 MB file only to be told "at most 4096 bytes" cost
 * gigabytes of memory (issue #15). The bounds are AWS's (the AWS KMS API Reference, each operation's
 * request parameters, e.g. https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html).
 */
import { statSync } from 'node:fs';
import { UsageError, kebab } from './verbs.js';

/** The largest value of each blob member, in bytes. */
export const MAX_BLOB_BYTES: Readonly<Record<string, number>> = {
  Plaintext: 4096,
  Message: 4096,
  CiphertextBlob: 6144,
  Signature: 6144,
  Mac: 6144,
  ImportToken: 6144,
  EncryptedKeyMaterial: 6144,
  PublicKey: 8192,
};

/** What to use instead, for data too large for one call. */
const HINTS: Readonly<Record<string, string>> = {
  Plaintext: 'kmsbox encrypt-file encrypts data of any size (envelope encryption)',
  CiphertextBlob: 'an envelope made by kmsbox encrypt-file is read by kmsbox decrypt-file',
  Message: 'sign or MAC a digest of it, or use kmsbox encrypt-file --signing-key-id to sign a file of any size',
};

/**
 * Throws a UsageError (exit 252) for the first `--member fileb://FILE` whose file is larger than the
 * member allows (a flag the operation does not have is refused afterwards by parseArguments). A file that cannot be stat'ed is left to the verb's own reading, which says why.
 */
export function checkBlobFileSizes(operation: string, args: readonly string[]): void {
  for (const [member, max] of Object.entries(MAX_BLOB_BYTES)) {
    const flag = `--${kebab(member)}`;
    const at = args.indexOf(flag);
    const value = at < 0 ? undefined : args[at + 1];
    if (value === undefined || !value.startsWith('fileb://')) continue;
    let size: number;
    try {
      size = statSync(value.slice('fileb://'.length)).size;
    } catch {
      continue;
    }
    if (size <= max) continue;
    const hint = HINTS[member] === undefined ? '' : `; ${HINTS[member]}`;
    throw new UsageError(
      `Error parsing parameter '${flag}': ${value} is ${size} bytes, and ${operation} takes at most ${max} bytes in ${member}${hint}`,
    );
  }
}
