/**
 * The audit trail: one CloudTrail-shaped event per call, allowed or denied, succeeded or failed.
 * Request parameters are logged without any byte field (plaintext, ciphertext, keys, messages,
 * signatures, MACs) and without grant tokens; responses are logged only for the management
 * operations whose results CloudTrail records (never a data key or ciphertext).
 */

export interface AuditEvent {
  readonly eventVersion: '1.08';
  readonly userIdentity: {
    readonly type: 'Root' | 'IAMUser' | 'AssumedRole' | 'FederatedUser' | 'AWSAccount';
    readonly arn: string;
    readonly accountId: string;
  };
  readonly eventTime: string;
  readonly eventSource: 'kms.amazonaws.com';
  readonly eventName: string;
  readonly awsRegion: string;
  readonly sourceIPAddress: string;
  readonly userAgent: string;
  readonly requestParameters: Record<string, unknown> | null;
  readonly responseElements: Record<string, unknown> | null;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly requestID: string;
  readonly eventID: string;
  readonly readOnly: boolean;
  readonly resources?: ReadonlyArray<{ readonly accountId: string; readonly type: string; readonly ARN: string }>;
  readonly eventType: 'AwsApiCall';
  readonly managementEvent: true;
  readonly recipientAccountId: string;
  readonly eventCategory: 'Management';
}

/** Where events go. A sink that throws makes the call fail (KMSInternalException): no unrecorded results. */
export interface AuditSink {
  write(event: AuditEvent): void | Promise<void>;
}

export type AuditOption = AuditSink | ((event: AuditEvent) => void | Promise<void>);

/** Keeps events in memory (tests, the in-process fake). */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  write(event: AuditEvent): void {
    this.events.push(event);
  }
  clear(): void {
    this.events.length = 0;
  }
}

export function toSink(option: AuditOption): AuditSink {
  return typeof option === 'function' ? { write: option } : option;
}
