// The CLI verbs for importing an asymmetric key (issue 13 §1), run as AWS's developer guide shows
// them: OpenSSL makes the key pair and converts it to PKCS#8 DER, wraps it with
// RSA_AES_KEY_WRAP_SHA_256 (`openssl pkeyutl` RSA-OAEP of an AES key, `openssl enc
// -id-aes256-wrap-pad` of the key), and OpenSSL verifies what `kmsbox sign` signed.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { type RunningServer, startServer } from 'kmsbox/node';
import { tempDir } from '../providers/file-fixtures.js';
import { cliBundle } from './cli-bundle.js';
import { lowCostPassphraseStore } from './passphrase-store.js';

// Each CLI spawn takes seconds on a loaded machine: a bound for a hang, never a measure of speed.
const CLI_TEST_TIMEOUT = 600_000;

const run = promisify(execFile);
const KMSBOX = `node ${cliBundle}`;

let dir: string;
let server: RunningServer;
const sh = (script: string, env: Record<string, string> = {}) =>
  run('bash', ['-c', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, KMSBOX, NODE_OPTIONS: '', ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

beforeAll(async () => {
  dir = tempDir();
  writeFileSync(join(dir, 'root.key'), randomBytes(32));
  server = await startServer(new Kms());
});
afterAll(() => server.close());

const IMPORT_AND_SIGN = `
  set -euo pipefail
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve -out ec.pem 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in ec.pem -outform DER -out PrivateKey.der
  openssl pkey -in ec.pem -pubout -outform DER -out expected-public.der
  id=$($KMSBOX create-key --origin EXTERNAL --key-spec ECC_NIST_P384 --key-usage SIGN_VERIFY --query KeyMetadata.KeyId --output text)
  $KMSBOX get-parameters-for-import --key-id "$id" --wrapping-algorithm RSA_AES_KEY_WRAP_SHA_256 --wrapping-key-spec RSA_3072 > params.json
  node -e 'const fs = require("fs"); const p = JSON.parse(fs.readFileSync("params.json", "utf8")); fs.writeFileSync("WrappingPublicKey.der", Buffer.from(p.PublicKey, "base64")); fs.writeFileSync("ImportToken.bin", Buffer.from(p.ImportToken, "base64"))'
  openssl rand -out aes-key.bin 32
  openssl enc -id-aes256-wrap-pad -K "$(od -An -tx1 aes-key.bin | tr -d ' \\n')" -iv A65959A6 -in PrivateKey.der -out key-material-wrapped.bin
  openssl pkeyutl -encrypt -in aes-key.bin -out aes-key-wrapped.bin -inkey WrappingPublicKey.der -keyform DER -pubin -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
  cat aes-key-wrapped.bin key-material-wrapped.bin > EncryptedKeyMaterial.bin
  $KMSBOX import-key-material --key-id "$id" --import-token fileb://ImportToken.bin --encrypted-key-material fileb://EncryptedKeyMaterial.bin --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE --query KeyMaterialId --output text > /dev/null
  $KMSBOX describe-key --key-id "$id" --query KeyMetadata.KeyState --output text
  $KMSBOX get-public-key --key-id "$id" --query PublicKey --output text | base64 --decode > public.der
  cmp public.der expected-public.der && echo same-public-key
  printf 'signed by an imported key' > message.txt
  $KMSBOX sign --key-id "$id" --message fileb://message.txt --message-type RAW --signing-algorithm ECDSA_SHA_384 --query Signature --output text | base64 --decode > signature.der
  openssl dgst -sha384 -verify expected-public.der -keyform DER -signature signature.der message.txt
`;

describe('kmsbox import verbs for an asymmetric key', () => {
  it(
    'create-key --origin EXTERNAL, get-parameters-for-import, import-key-material of an OpenSSL key wrapped by OpenSSL, get-public-key, sign',
    async () => {
      for (const env of [
        { KMSBOX_STORE: await lowCostPassphraseStore(join(dir, 'asym.kmsbox'), 'pp'), KMSBOX_PASSPHRASE: 'pp' },
        { KMSBOX_ENDPOINT_URL: server.url },
      ]) {
        const r = await sh(IMPORT_AND_SIGN, env);
        expect(r.stderr).toBe('');
        expect(r.stdout.trim().split('\n')).toEqual(['Enabled', 'same-public-key', 'Verified OK']);
      }
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'an RSA key with RSAES_OAEP_SHA_256: the AWS CLI form of the ValidationException, exit code 254',
    async () => {
      const r = await sh(
        `set -euo pipefail
        id=$($KMSBOX create-key --origin EXTERNAL --key-spec RSA_2048 --key-usage SIGN_VERIFY --query KeyMetadata.KeyId --output text)
        $KMSBOX get-parameters-for-import --key-id "$id" --wrapping-algorithm RSAES_OAEP_SHA_256 --wrapping-key-spec RSA_4096`,
        { KMSBOX_ENDPOINT_URL: server.url },
      );
      expect(r.code).toBe(254);
      expect(r.stderr).toContain(
        'An error occurred (ValidationException) when calling the GetParametersForImport operation: The RSAES_OAEP_SHA_256 wrapping algorithm cannot wrap RSA_2048 key material',
      );
    },
    CLI_TEST_TIMEOUT,
  );
});
