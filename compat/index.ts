/**
 * wsserver-compat/compat — the faithful faces of the IPWorks SSL WSServer component:
 * the procedural functions (ipworksssl_wsserver_* and the short wsserver_* aliases) on a handle
 * table, and the PHP-style class IPWorksSSL_WSServer. Both default to ProcessIdleEvents=false:
 * events fire from DoEvents.
 */
export * from './procedural';
export { IPWorksSSL_WSServer } from './php-class';
export { IPWorksSSLError } from './errors';
export type { EventParams, EventCallback } from './events';
export type { PropertyValue } from './properties';
export { PropertyId, EventId, MethodId, ErrorCode, DataFormat, CertStoreType } from '../lib/generated/api';
