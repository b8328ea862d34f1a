/**
 * Custom key stores (CloudHSM and external key stores): kmsbox has none and cannot make one, so it
 * answers as an AWS account without custom key stores does. DescribeCustomKeyStores: an empty list,
 * or CustomKeyStoreNotFoundException for a store named by id or name
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeCustomKeyStores.html).
 */
import { paginate } from '../api/pagination.js';
import { Checks, type Input } from '../api/validate.js';
import { CustomKeyStoreNotFoundException } from '../errors.js';
import type { EmptyResponse } from '../api/shapes.js';
import type { Env } from './env.js';
import { paging } from './fields.js';

// The model's enums for a store's description, as the AWS SDK v3 spells them (kmsbox never has a store to describe).
export type ConnectionStateType = 'CONNECTED' | 'CONNECTING' | 'DISCONNECTED' | 'DISCONNECTING' | 'FAILED';
export type ConnectionErrorCodeType =
  | 'CLUSTER_NOT_FOUND'
  | 'INSUFFICIENT_CLOUDHSM_HSMS'
  | 'INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET'
  | 'INTERNAL_ERROR'
  | 'INVALID_CREDENTIALS'
  | 'NETWORK_ERRORS'
  | 'SUBNET_NOT_FOUND'
  | 'USER_LOCKED_OUT'
  | 'USER_LOGGED_IN'
  | 'USER_NOT_FOUND'
  | 'XKS_PROXY_ACCESS_DENIED'
  | 'XKS_PROXY_INVALID_CONFIGURATION'
  | 'XKS_PROXY_INVALID_RESPONSE'
  | 'XKS_PROXY_INVALID_TLS_CONFIGURATION'
  | 'XKS_PROXY_NOT_REACHABLE'
  | 'XKS_PROXY_TIMED_OUT'
  | 'XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION'
  | 'XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND';
export type CustomKeyStoreType = 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE';
export type XksProxyConnectivityType = 'PUBLIC_ENDPOINT' | 'VPC_ENDPOINT_SERVICE';

export interface DescribeCustomKeyStoresRequest {
  CustomKeyStoreId?: string | undefined;
  CustomKeyStoreName?: string | undefined;
  Limit?: number | undefined;
  Marker?: string | undefined;
}
export interface XksProxyConfigurationType {
  Connectivity?: XksProxyConnectivityType | undefined;
  AccessKeyId?: string | undefined;
  UriEndpoint?: string | undefined;
  UriPath?: string | undefined;
  VpcEndpointServiceName?: string | undefined;
  VpcEndpointServiceOwner?: string | undefined;
}
export interface CustomKeyStoresListEntry {
  CustomKeyStoreId?: string | undefined;
  CustomKeyStoreName?: string | undefined;
  CloudHsmClusterId?: string | undefined;
  TrustAnchorCertificate?: string | undefined;
  ConnectionState?: ConnectionStateType | undefined;
  ConnectionErrorCode?: ConnectionErrorCodeType | undefined;
  CreationDate?: Date | undefined;
  CustomKeyStoreType?: CustomKeyStoreType | undefined;
  XksProxyConfiguration?: XksProxyConfigurationType | undefined;
}
export interface DescribeCustomKeyStoresResponse {
  CustomKeyStores?: CustomKeyStoresListEntry[] | undefined;
  NextMarker?: string | undefined;
  Truncated?: boolean | undefined;
}

/** The only answer for a store named by id: the account has none. */
/** The answer of an account without custom key stores to any custom key store id (CreateKey, GenerateRandom, the store operations). */
export function customKeyStoreNotFound(id: string): CustomKeyStoreNotFoundException {
  return new CustomKeyStoreNotFoundException({ message: `Custom key store ${id} does not exist in this account and Region.` });
}

function storeNotFound(c: Checks): never {
  const { id } = c.done({ id: c.required(c.string('CustomKeyStoreId', { required: true, min: 1, max: 64 })) });
  throw customKeyStoreNotFound(id);
}

export async function describeCustomKeyStores(_env: Env, input: Input): Promise<DescribeCustomKeyStoresResponse> {
  const c = new Checks(input);
  const id = c.string('CustomKeyStoreId', { min: 1, max: 64 });
  const name = c.string('CustomKeyStoreName', { min: 1, max: 256 });
  const { limit, marker } = paging(c);
  c.done();
  if (id !== undefined) throw customKeyStoreNotFound(id);
  if (name !== undefined) {
    throw new CustomKeyStoreNotFoundException({ message: `No custom key store named ${name} exists in this account and Region.` });
  }
  // No store exists: a marker is one kmsbox never issued (InvalidMarkerException, as for any list).
  const page = paginate<CustomKeyStoresListEntry>('custom-key-stores', [], (s) => s.CustomKeyStoreId ?? '', limit, marker);
  return { CustomKeyStores: page.items, Truncated: page.Truncated };
}

export interface ConnectCustomKeyStoreRequest {
  CustomKeyStoreId: string | undefined;
}
export async function connectCustomKeyStore(_env: Env, input: Input): Promise<EmptyResponse> {
  return storeNotFound(new Checks(input));
}

export interface DisconnectCustomKeyStoreRequest {
  CustomKeyStoreId: string | undefined;
}
export async function disconnectCustomKeyStore(_env: Env, input: Input): Promise<EmptyResponse> {
  return storeNotFound(new Checks(input));
}

export interface DeleteCustomKeyStoreRequest {
  CustomKeyStoreId: string | undefined;
}
export async function deleteCustomKeyStore(_env: Env, input: Input): Promise<EmptyResponse> {
  return storeNotFound(new Checks(input));
}

export interface XksProxyAuthenticationCredentialType {
  AccessKeyId: string | undefined;
  RawSecretAccessKey: string | undefined;
}
export interface UpdateCustomKeyStoreRequest {
  CustomKeyStoreId: string | undefined;
  NewCustomKeyStoreName?: string | undefined;
  KeyStorePassword?: string | undefined;
  CloudHsmClusterId?: string | undefined;
  XksProxyUriEndpoint?: string | undefined;
  XksProxyUriPath?: string | undefined;
  XksProxyVpcEndpointServiceName?: string | undefined;
  XksProxyVpcEndpointServiceOwner?: string | undefined;
  XksProxyAuthenticationCredential?: XksProxyAuthenticationCredentialType | undefined;
  XksProxyConnectivity?: XksProxyConnectivityType | undefined;
}
/**
 * Only the store id is read: with no store to change, the new properties are never used (nor
 * echoed; the audit trail drops KeyStorePassword and RawSecretAccessKey).
 */
export async function updateCustomKeyStore(_env: Env, input: Input): Promise<EmptyResponse> {
  return storeNotFound(new Checks(input));
}
