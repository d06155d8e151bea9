/**
 * wsserver-compat — the modern, typed API.
 *
 *   import { WSServer } from 'wsserver-compat';
 *   const server = new WSServer({ localPort: 8080 });
 *   server.on('DataIn', (e) => server.sendText(e.connectionId, e.text));
 *   await server.startListening();
 */
export { WSServer, VERSION, type WSServerOptions, type ConnectionIdLike } from './server/ws-server';
export { WSConnection } from './server/ws-connection';
export type { QueueFigures } from './server/connection-base';
export type { TrafficFigures } from './server/server-counters';
export type { ServerMetrics, ConnectionMetrics, RefusalFigures, FailureFigures, BudgetHitFigures, PhaseName } from './server/metrics';
export { METRICS_CONTENT_TYPE, type MetricsTextOptions } from './server/metrics-text';
export { WSServerError } from './server/errors';
export * from './server/events';
export { ErrorCode, EventId, PropertyId, MethodId, DataFormat, CertStoreType } from './generated/api';
export { Opcode, CloseCode } from './protocol/constants';
export { ProtocolError, HandshakeError } from './protocol/errors';
