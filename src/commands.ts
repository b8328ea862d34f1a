/**
 * Command objects, as in the AWS SDK v3: `kms.send(new EncryptCommand(input))`. `send` also
 * accepts the SDK's own command objects (it dispatches on the class name and `input`).
 */
import type * as S from './api/shapes.js';

export abstract class KmsCommand<Input, Output> {
  /** Phantom member so the output type travels with the command; never set. */
  declare readonly __output?: Output;
  constructor(readonly input: Input) {}
}

export class CancelKeyDeletionCommand extends KmsCommand<S.CancelKeyDeletionRequest, S.CancelKeyDeletionCommandOutput> {}
export class CreateAliasCommand extends KmsCommand<S.CreateAliasRequest, S.CreateAliasCommandOutput> {}
export class CreateKeyCommand extends KmsCommand<S.CreateKeyRequest, S.CreateKeyCommandOutput> {}
export class DecryptCommand extends KmsCommand<S.DecryptRequest, S.DecryptCommandOutput> {}
export class DeleteAliasCommand extends KmsCommand<S.DeleteAliasRequest, S.DeleteAliasCommandOutput> {}
export class DescribeKeyCommand extends KmsCommand<S.DescribeKeyRequest, S.DescribeKeyCommandOutput> {}
export class DisableKeyCommand extends KmsCommand<S.DisableKeyRequest, S.DisableKeyCommandOutput> {}
export class DisableKeyRotationCommand extends KmsCommand<S.DisableKeyRotationRequest, S.DisableKeyRotationCommandOutput> {}
export class EnableKeyCommand extends KmsCommand<S.EnableKeyRequest, S.EnableKeyCommandOutput> {}
export class EnableKeyRotationCommand extends KmsCommand<S.EnableKeyRotationRequest, S.EnableKeyRotationCommandOutput> {}
export class EncryptCommand extends KmsCommand<S.EncryptRequest, S.EncryptCommandOutput> {}
export class GenerateDataKeyCommand extends KmsCommand<S.GenerateDataKeyRequest, S.GenerateDataKeyCommandOutput> {}
export class GenerateDataKeyWithoutPlaintextCommand extends KmsCommand<
  S.GenerateDataKeyWithoutPlaintextRequest,
  S.GenerateDataKeyWithoutPlaintextCommandOutput
> {}
export class GenerateMacCommand extends KmsCommand<S.GenerateMacRequest, S.GenerateMacCommandOutput> {}
export class GenerateRandomCommand extends KmsCommand<S.GenerateRandomRequest, S.GenerateRandomCommandOutput> {}
export class GetKeyRotationStatusCommand extends KmsCommand<S.GetKeyRotationStatusRequest, S.GetKeyRotationStatusCommandOutput> {}
export class ListAliasesCommand extends KmsCommand<S.ListAliasesRequest, S.ListAliasesCommandOutput> {}
export class ListKeyRotationsCommand extends KmsCommand<S.ListKeyRotationsRequest, S.ListKeyRotationsCommandOutput> {}
export class ListKeysCommand extends KmsCommand<S.ListKeysRequest, S.ListKeysCommandOutput> {}
export class ListResourceTagsCommand extends KmsCommand<S.ListResourceTagsRequest, S.ListResourceTagsCommandOutput> {}
export class ReEncryptCommand extends KmsCommand<S.ReEncryptRequest, S.ReEncryptCommandOutput> {}
export class ReplicateKeyCommand extends KmsCommand<S.ReplicateKeyRequest, S.ReplicateKeyCommandOutput> {}
export class GetParametersForImportCommand extends KmsCommand<S.GetParametersForImportRequest, S.GetParametersForImportCommandOutput> {}
export class ImportKeyMaterialCommand extends KmsCommand<S.ImportKeyMaterialRequest, S.ImportKeyMaterialCommandOutput> {}
export class DeleteImportedKeyMaterialCommand extends KmsCommand<
  S.DeleteImportedKeyMaterialRequest,
  S.DeleteImportedKeyMaterialCommandOutput
> {}
export class UpdatePrimaryRegionCommand extends KmsCommand<S.UpdatePrimaryRegionRequest, S.UpdatePrimaryRegionCommandOutput> {}
export class RotateKeyOnDemandCommand extends KmsCommand<S.RotateKeyOnDemandRequest, S.RotateKeyOnDemandCommandOutput> {}
export class ScheduleKeyDeletionCommand extends KmsCommand<S.ScheduleKeyDeletionRequest, S.ScheduleKeyDeletionCommandOutput> {}
export class TagResourceCommand extends KmsCommand<S.TagResourceRequest, S.TagResourceCommandOutput> {}
export class UntagResourceCommand extends KmsCommand<S.UntagResourceRequest, S.UntagResourceCommandOutput> {}
export class UpdateAliasCommand extends KmsCommand<S.UpdateAliasRequest, S.UpdateAliasCommandOutput> {}
export class UpdateKeyDescriptionCommand extends KmsCommand<S.UpdateKeyDescriptionRequest, S.UpdateKeyDescriptionCommandOutput> {}
export class VerifyMacCommand extends KmsCommand<S.VerifyMacRequest, S.VerifyMacCommandOutput> {}
export class SignCommand extends KmsCommand<S.SignRequest, S.SignCommandOutput> {}
export class VerifyCommand extends KmsCommand<S.VerifyRequest, S.VerifyCommandOutput> {}
export class GetPublicKeyCommand extends KmsCommand<S.GetPublicKeyRequest, S.GetPublicKeyCommandOutput> {}
export class GenerateDataKeyPairCommand extends KmsCommand<S.GenerateDataKeyPairRequest, S.GenerateDataKeyPairCommandOutput> {}
export class GenerateDataKeyPairWithoutPlaintextCommand extends KmsCommand<
  S.GenerateDataKeyPairWithoutPlaintextRequest,
  S.GenerateDataKeyPairWithoutPlaintextCommandOutput
> {}
export class DeriveSharedSecretCommand extends KmsCommand<S.DeriveSharedSecretRequest, S.DeriveSharedSecretCommandOutput> {}
export class GetKeyPolicyCommand extends KmsCommand<S.GetKeyPolicyRequest, S.GetKeyPolicyCommandOutput> {}
export class PutKeyPolicyCommand extends KmsCommand<S.PutKeyPolicyRequest, S.PutKeyPolicyCommandOutput> {}
export class ListKeyPoliciesCommand extends KmsCommand<S.ListKeyPoliciesRequest, S.ListKeyPoliciesCommandOutput> {}
export class CreateGrantCommand extends KmsCommand<S.CreateGrantRequest, S.CreateGrantCommandOutput> {}
export class ListGrantsCommand extends KmsCommand<S.ListGrantsRequest, S.ListGrantsCommandOutput> {}
export class ListRetirableGrantsCommand extends KmsCommand<S.ListRetirableGrantsRequest, S.ListRetirableGrantsCommandOutput> {}
export class RetireGrantCommand extends KmsCommand<S.RetireGrantRequest, S.RetireGrantCommandOutput> {}
export class RevokeGrantCommand extends KmsCommand<S.RevokeGrantRequest, S.RevokeGrantCommandOutput> {}
