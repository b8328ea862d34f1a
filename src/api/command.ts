/**
 * The base of the command objects, as in the AWS SDK v3: `kms.send(new EncryptCommand(input))`.
 * The classes themselves are generated from the operation table into ../commands.ts.
 */
export abstract class KmsCommand<Input, Output> {
  /** Phantom member so the output type travels with the command; never set. */
  declare readonly __output?: Output;
  constructor(readonly input: Input) {}
}
