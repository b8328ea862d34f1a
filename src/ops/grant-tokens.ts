/**
 * Grant tokens, apart from the grant operations (grants.ts, loaded on first use by api/operations.ts)
 * because `Kms` checks the GrantTokens of every request.
 */
import type { Input } from '../api/validate.js';
import { toHex, utf8Decode } from '../crypto/bytes.js';
import { publicRandomBytes } from '../crypto/random.js';
import { InvalidGrantTokenException } from '../errors.js';

export const GRANT_ID = /^[0-9a-f]{64}$/;
const TOKEN_PREFIX = 'kmsbox-grant-token:v1:';

/** Grant tokens: opaque, non-secret base64 naming the grant; a new one for every CreateGrant. */
export function newToken(grantId: string): string {
  return btoa(`${TOKEN_PREFIX + grantId}:${toHex(publicRandomBytes(16))}`);
}

export function grantIdOfToken(token: string): string {
  let text: string;
  try {
    text = utf8Decode(Uint8Array.from(atob(token), (ch) => ch.charCodeAt(0)));
  } catch {
    throw new InvalidGrantTokenException({ message: 'Invalid grant token' });
  }
  const id = text.startsWith(TOKEN_PREFIX) ? text.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + 64) : '';
  if (!GRANT_ID.test(id) || !/^:[0-9a-f]{32}$/.test(text.slice(TOKEN_PREFIX.length + 64)))
    throw new InvalidGrantTokenException({ message: 'Invalid grant token' });
  return id;
}

/** GrantTokens on any request: each must be a token kmsbox issued (grants apply at once, so they add nothing else). */
export function checkGrantTokens(input: Input): void {
  const tokens = input.GrantTokens;
  // A list of the wrong shape is the operation's ValidationException, reported by its own checks.
  if (!Array.isArray(tokens) || tokens.length > 10 || tokens.some((t) => typeof t !== 'string' || t.length < 1 || t.length > 8192)) return;
  for (const t of tokens as string[]) grantIdOfToken(t);
}
