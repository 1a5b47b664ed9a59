// The typed client, exported as `realmstate/client`.
export { RealmstateClient, DEFAULT_CLIENT_OPTIONS, type RealmstateClientOptions, type CallOptions, type Answer } from './client.js';
export {
  RealmstateApiError, RealmstateConflictError, RealmstateRateLimitedError, RealmstateTimeoutError, RealmstateNetworkError, isApiError,
  type ApiErrorBody,
} from './errors.js';
export { OPERATIONS, type OperationId, type OperationInfo, type Operations, type RequestOf, type ResponseOf } from './operations.js';
export type { ErrorCode } from '../errors.js';
