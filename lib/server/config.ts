/**
 * The Config method: "Name=Value" sets, "Name" reads (always a string), "Name[cid]" addresses a
 * per-connection setting. Unknown names → 606; read-only → 607; bad values → 608; and the checks the
 * reference attaches to particular settings (MaxConnections while listening 108, CodePage 609, …).
 */
import { ErrorCode } from '../generated/api';
import { isSendableCloseCode } from '../protocol/close';
import { negotiatedSetting } from '../tls/tls-layer';
import type { Acceptor } from './acceptor';
import { parseClientList, type ClientList } from './client-filter';
import { isSupportedCodePage } from './code-page';
import { parseTrustedProxies } from './forwarded-client';
import type { Dispatcher } from './dispatcher';
import { WSServerError } from './errors';
import type { ConnectionRegistry } from './registry';
import { findSetting, formatSettingValue, parseSettingValue, type SettingInfo, type SettingValue, type Settings } from './settings';
import { parseConfigString } from './values';
import type { WSConnection } from './ws-connection';

/** The package version, reported by BuildInfo and property 0 of the procedural API. */
export const VERSION = '0.1.0';

/** What Config works on. */
export interface ConfigTarget {
  readonly settings: Settings;
  readonly registry: ConnectionRegistry;
  readonly acceptor: Acceptor;
  readonly dispatcher: Dispatcher;
  readonly listening: boolean;
  /** AllowedClients or BlockedClients was given a new list (its host names are to be looked up). */
  clientListChanged(setting: 'AllowedClients' | 'BlockedClients', list: ClientList): void;
}

export function config(target: ConfigTarget, text: string): string {
  const parsed = parseConfigString(String(text));
  if (!parsed) throw new WSServerError(ErrorCode.UnknownConfig, `Unknown configuration setting: ${String(text)}.`);
  const info = findSetting(parsed.name);
  if (!info) throw new WSServerError(ErrorCode.UnknownConfig, `Unknown configuration setting: ${parsed.name}.`);
  if (parsed.index !== undefined) {
    if (!info.perConnection) {
      throw new WSServerError(ErrorCode.InvalidArgument, `Invalid argument. ${info.name} is not a per-connection setting.`);
    }
    const connection = target.registry.get(parsed.index);
    if (parsed.value === undefined) return connectionSetting(connection, info);
    if (info.readOnly) throw new WSServerError(ErrorCode.ReadOnlyConfig);
    setConnectionSetting(connection, info, parseSettingValue(info, parsed.value));
    return '';
  }
  if (parsed.value === undefined) return serverSetting(target.settings, info);
  if (info.readOnly) throw new WSServerError(ErrorCode.ReadOnlyConfig);
  setServerSetting(target, info, parseSettingValue(info, parsed.value));
  return '';
}

function serverSetting(settings: Settings, info: SettingInfo): string {
  switch (info.name) {
    case 'BuildInfo':
      return `wsserver-compat ${VERSION} (Node.js ${process.version}, ${process.platform}-${process.arch})`;
    case 'LicenseInfo':
      return 'wsserver-compat is open source (MIT): no license key is needed or checked.';
    default:
      return formatSettingValue(settings.get(info.name));
  }
}

/** Per-connection settings: the connection's own value; SSLNegotiated* from its TLS session. */
function connectionSetting(connection: WSConnection, info: SettingInfo): string {
  switch (info.name) {
    case 'ConnectionUID':
      return connection.uid;
    case 'MaxLineLength':
      return String(connection.maxLineLength);
    case 'MessageLength':
      return String(connection.messageRemaining);
    default:
      // SSLNegotiated*: from the connection's TLS session ('' for plain ws).
      return negotiatedSetting(connection, info.name) ?? '';
  }
}

function setConnectionSetting(connection: WSConnection, info: SettingInfo, value: SettingValue): void {
  if (info.name === 'MaxLineLength') connection.setMaxLineLength(value as number);
  else if (info.name === 'MessageLength') {
    if (connection.timeout === 0) connection.messageRemaining = value as number;
  }
}

function setServerSetting(target: ConfigTarget, info: SettingInfo, value: SettingValue): void {
  // Checks first: a refused value changes nothing.
  switch (info.name) {
    case 'MaxConnections':
      if (target.listening) throw new WSServerError(ErrorCode.MaxConnectionsWhileListening);
      break;
    case 'CodePage':
      if (!isSupportedCodePage(value as number)) {
        throw new WSServerError(ErrorCode.UnsupportedCodePage, `Unsupported code page: ${value}.`);
      }
      break;
    case 'DisconnectStatusCode':
      if (!isSendableCloseCode(value as number)) {
        throw new WSServerError(ErrorCode.InvalidConfigValue, `Invalid configuration setting value for DisconnectStatusCode: ${value} cannot be sent in a close frame.`);
      }
      break;
    case 'AllowedClients':
    case 'BlockedClients': {
      let list: ClientList;
      try {
        list = parseClientList(value as string);
      } catch (error) {
        throw new WSServerError(ErrorCode.InvalidConfigValue, `Invalid configuration setting value for ${info.name}: ${(error as Error).message}`);
      }
      // The names both lists have keep their addresses while the new list is looked up.
      if (info.name === 'AllowedClients') {
        list.adopt(target.acceptor.allowed);
        target.acceptor.allowed = list;
      } else {
        list.adopt(target.acceptor.blocked);
        target.acceptor.blocked = list;
      }
      target.clientListChanged(info.name, list);
      break;
    }
    case 'TrustedProxies': {
      let list: ClientList;
      try {
        list = parseTrustedProxies(value as string);
      } catch (error) {
        throw new WSServerError(ErrorCode.InvalidConfigValue, `Invalid configuration setting value for TrustedProxies: ${(error as Error).message}`);
      }
      target.acceptor.trusted = list;
      break;
    }
    case 'HealthCheckPath': {
      const path = value as string;
      if (path !== '' && (!path.startsWith('/') || /[\s?#]/.test(path))) {
        throw new WSServerError(ErrorCode.InvalidConfigValue, 'Invalid configuration setting value for HealthCheckPath: a path starting with / without blanks, ? or #, or an empty value.');
      }
      break;
    }
    case 'UseSSL': {
      const text = String(value).trim().toLowerCase();
      if (text !== '' && text !== 'auto' && text !== 'true' && text !== 'false') {
        throw new WSServerError(ErrorCode.InvalidConfigValue, 'Invalid configuration setting value for UseSSL: use true, false or an empty value.');
      }
      break;
    }
    default:
  }
  target.settings.put(info.name, value);
  // Then what follows from the new value.
  switch (info.name) {
    case 'ProcessIdleEvents':
      if (value === true) target.dispatcher.switchedToImmediate();
      break;
    case 'MaxFrameSize':
    case 'BufferMessage':
      for (const connection of target.registry.values()) connection.applySetting(info.name, value);
      break;
    default:
  }
}
