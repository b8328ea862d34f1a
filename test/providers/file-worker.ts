// A separate process on a FileProvider store, for the crash and concurrency tests.
// Bundled by the test with esbuild and run with plain node (fast start, no tsx per cycle).
//   crash <store> <rootKeyFile> [compactAfterBytes]: create keys, encrypt, rotate, forever; report each finished step.
//   burst <store> <rootKeyFile> <count> <tag> [compactAfterBytes]: create <count> keys, each with alias/<tag>-<i>.
import { Kms } from '../../src/index.js';
import { FileProvider } from '../../src/node.js';

const [mode, path, rootKeyFile, countText, tag, burstCompact] = process.argv.slice(2);
const compact = mode === 'crash' ? countText : burstCompact;
const kms = new Kms({
  provider: new FileProvider({
    path: path!,
    rootKeyFile: rootKeyFile!,
    lockTimeoutMs: 60_000,
    ...(compact === undefined ? {} : { compactAfterBytes: Number(compact) }),
  }),
});
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

if (mode === 'crash') {
  console.log('ready');
  for (let i = 0; ; i++) {
    const { KeyMetadata } = await kms.createKey();
    const id = KeyMetadata!.KeyId!;
    const { CiphertextBlob } = await kms.encrypt({ KeyId: id, Plaintext: new TextEncoder().encode(`secret ${id}`) });
    // A line is written only once the step has completed: the parent trusts complete lines.
    console.log(`created ${id} ${b64(CiphertextBlob!)}`);
    if (i % 3 === 0) {
      await kms.rotateKeyOnDemand({ KeyId: id });
      const after = await kms.encrypt({ KeyId: id, Plaintext: new TextEncoder().encode(`secret ${id}`) });
      console.log(`rotated ${id} ${b64(after.CiphertextBlob!)}`);
    }
  }
} else if (mode === 'burst') {
  for (let i = 0; i < Number(countText); i++) {
    const { KeyMetadata } = await kms.createKey({ Description: `${tag} ${i}` });
    await kms.createAlias({ AliasName: `alias/${tag}-${i}`, TargetKeyId: KeyMetadata!.KeyId });
  }
  console.log('done');
} else {
  throw new Error(`unknown mode ${mode}`);
}
