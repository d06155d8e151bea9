/**
 * Property access by numeric ID, as the procedural get/set do it: the reference's IDs, types and
 * access rules (read-only, write-only, per-connection arrays indexed by ConnectionId), mapped onto
 * the engine's WSServer and WSConnection. The switch is exhaustive over the generated PropertyId
 * table, so a property added to the API description fails the typecheck until it is handled here.
 */
import { statSync } from 'node:fs';
import { CertStoreType, ErrorCode, PACKAGE_VERSION, PropertyId, propertyInfo, type PropertyInfo } from '../lib/generated/api';
import { WSServerError } from '../lib/server/errors';
import { booleanValue, integerValue } from '../lib/server/values';
import type { WSConnection } from '../lib/server/ws-connection';
import type { WSServer } from '../lib/server/ws-server';
import { BLOB_STORE_TYPES, bytesOfString, isByteString, stringOfBytes } from './byte-strings';

/** Values as the procedural API shows them. */
export type PropertyValue = string | number | boolean;

/** State kept by the compat face beside the engine. */
export interface PropertyState {
  runtimeLicense: string;
}

export function describeProperty(id: unknown): PropertyInfo {
  const info = typeof id === 'number' || (typeof id === 'string' && /^\d+$/.test(id)) ? propertyInfo(Number(id)) : undefined;
  if (!info) throw new WSServerError(ErrorCode.UnknownProperty);
  return info;
}

/** Reads property `info` (with `index` = ConnectionId for per-connection properties). */
export function getProperty(server: WSServer, state: PropertyState, info: PropertyInfo, index: unknown): PropertyValue {
  if (info.access === 'wo') throw new WSServerError(ErrorCode.WriteOnlyProperty);
  const id = info.id;
  if (!info.perConnection) {
    switch (id) {
      case PropertyId.Version:
        return PACKAGE_VERSION;
      case PropertyId.ConnectionBacklog:
        return server.connectionBacklog;
      case PropertyId.WSConnectionCount:
        return server.wsConnectionCount;
      case PropertyId.DefaultTimeout:
        return server.defaultTimeout;
      case PropertyId.Listening:
        return server.listening;
      case PropertyId.LocalHost:
        return server.localHost;
      case PropertyId.LocalPort:
        return server.localPort;
      case PropertyId.SSLAuthenticateClients:
        return server.sslAuthenticateClients;
      case PropertyId.SSLCertEncoded:
        return server.sslCertEncoded;
      case PropertyId.SSLCertStore:
        return server.sslCertStore;
      case PropertyId.SSLCertStorePassword:
        return server.sslCertStorePassword;
      case PropertyId.SSLCertStoreType:
        return server.sslCertStoreType;
      case PropertyId.SSLCertSubject:
        return server.sslCertSubject;
      case PropertyId.RuntimeLicense:
        return state.runtimeLicense;
      default:
        throw new WSServerError(ErrorCode.UnknownProperty);
    }
  }
  const connection = server.connection(requireIndex(index));
  switch (id) {
    case PropertyId.WSConnectionAcceptData:
      return connection.acceptData;
    case PropertyId.WSConnectionBytesSent:
      return connection.bytesSent;
    case PropertyId.WSConnectionConnected:
      return connection.connected;
    case PropertyId.WSConnectionConnectionId:
      return String(connection.connectionId);
    case PropertyId.WSConnectionDataFormat:
      return connection.dataFormat;
    case PropertyId.WSConnectionHost:
      return connection.host;
    case PropertyId.WSConnectionLineMode:
      return connection.lineMode;
    case PropertyId.WSConnectionLocalAddress:
      return connection.localAddress;
    case PropertyId.WSConnectionOrigin:
      return connection.origin;
    case PropertyId.WSConnectionReadyToSend:
      return connection.readyToSend;
    case PropertyId.WSConnectionRemoteHost:
      return connection.remoteHost;
    case PropertyId.WSConnectionRemotePort:
      return connection.remotePort;
    case PropertyId.WSConnectionRequestHeaders:
      return connection.requestHeaders;
    case PropertyId.WSConnectionRequestURI:
      return connection.requestURI;
    case PropertyId.WSConnectionSubProtocols:
      return connection.subProtocols;
    case PropertyId.WSConnectionTimeout:
      return connection.timeout;
    default:
      throw new WSServerError(ErrorCode.UnknownProperty);
  }
}

/** Sends WSConnectionDataToSend's value on the connection (the compat faces' Send, done at once). */
export type DataSender = (server: WSServer, connection: WSConnection, data: unknown) => void;

/** Writes property `info`; values are checked against the property's type (605 when they do not fit). */
export function setProperty(
  server: WSServer,
  state: PropertyState,
  info: PropertyInfo,
  index: unknown,
  value: unknown,
  sendData: DataSender,
): void {
  if (info.access === 'ro') throw new WSServerError(ErrorCode.ReadOnlyProperty);
  if (!info.perConnection) {
    if (index !== undefined) {
      throw new WSServerError(ErrorCode.InvalidArgument, `Invalid argument. ${info.name} is not a per-connection property: call set(res, id, value).`);
    }
    switch (info.id) {
      case PropertyId.ConnectionBacklog:
        server.connectionBacklog = integerValue(value, 1);
        return;
      case PropertyId.DefaultTimeout:
        server.defaultTimeout = integerValue(value, 0);
        return;
      case PropertyId.Listening:
        server.listening = booleanValue(value);
        return;
      case PropertyId.LocalHost:
        server.localHost = text(value);
        return;
      case PropertyId.LocalPort:
        server.localPort = integerValue(value, 0, 65535);
        return;
      case PropertyId.SSLAuthenticateClients:
        server.sslAuthenticateClients = booleanValue(value);
        return;
      case PropertyId.SSLCertEncoded:
        server.sslCertEncoded = binaryText(value, 'SSLCertEncoded');
        return;
      case PropertyId.SSLCertStore:
        server.sslCertStore = storeIsContent(server.sslCertStoreType, value) ? binaryText(value, 'SSLCertStore') : storeName(value);
        return;
      case PropertyId.SSLCertStorePassword:
        server.sslCertStorePassword = text(value);
        return;
      case PropertyId.SSLCertStoreType:
        server.sslCertStoreType = integerValue(value, 0);
        return;
      case PropertyId.SSLCertSubject:
        server.sslCertSubject = text(value);
        return;
      case PropertyId.RuntimeLicense:
        // Accepted and ignored: there is no license to check.
        state.runtimeLicense = text(value);
        return;
      default:
        throw new WSServerError(ErrorCode.UnknownProperty);
    }
  }
  const connection: WSConnection = server.connection(requireIndex(index));
  switch (info.id) {
    case PropertyId.WSConnectionAcceptData:
      connection.acceptData = booleanValue(value);
      return;
    case PropertyId.WSConnectionConnected:
      connection.connected = booleanValue(value);
      return;
    case PropertyId.WSConnectionDataFormat: {
      const format = integerValue(value, 0);
      if (![0, 1, 2, 9, 10].includes(format)) throw new WSServerError(ErrorCode.InvalidValue, 'Invalid value. DataFormat is 0, 1, 2, 9 or 10.');
      connection.dataFormat = format;
      return;
    }
    case PropertyId.WSConnectionDataToSend:
      sendData(server, connection, binary(value));
      return;
    case PropertyId.WSConnectionTimeout:
      connection.timeout = integerValue(value, 0);
      return;
    default:
      throw new WSServerError(ErrorCode.UnknownProperty);
  }
}

function requireIndex(index: unknown): number | string {
  if (typeof index === 'number' || typeof index === 'string') return index;
  throw new WSServerError(ErrorCode.InvalidConnectionId);
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new WSServerError(ErrorCode.InvalidValue);
}

/**
 * Binary strings come in as a string (one char per byte: 605 for a char above 0xFF) or bytes, and
 * are kept as a one-char-per-byte string.
 */
function binaryText(value: unknown, what: string): string {
  if (value instanceof Uint8Array) return stringOfBytes(value);
  const given = text(value);
  if (!isByteString(given)) bytesOfString(given, what);
  return given;
}

/**
 * True when SSLCertStore holds the store's content (bytes) rather than a file or store name (text):
 * the blob kinds, and automatic detection (99) given anything but the name of an existing file.
 */
function storeIsContent(type: number, value: unknown): boolean {
  if (BLOB_STORE_TYPES.has(type)) return true;
  return type === CertStoreType.cstAuto && !(typeof value === 'string' && isFile(value));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A file or store name: text; bytes are taken as its UTF-8. */
function storeName(value: unknown): string | Uint8Array {
  return value instanceof Uint8Array ? value : text(value);
}

function binary(value: unknown): string | Uint8Array {
  if (value instanceof Uint8Array || typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new WSServerError(ErrorCode.InvalidValue);
}
