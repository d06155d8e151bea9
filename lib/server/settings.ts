/**
 * The server-wide config settings (the Config method's "Name=Value" store): typed values with the
 * documented defaults from the generated API table, parsed and checked as the reference describes
 * (booleans as True/False/1/0/Yes/No in any case, integers within their documented range).
 */
import { CONFIG_BY_NAME, ConfigValues, ErrorCode } from '../generated/api';
import { WSServerError } from './errors';
import { formatBoolean, parseBoolean, parseInteger } from './values';

export type SettingValue = boolean | number | string;

export interface SettingInfo {
  readonly name: string;
  readonly type: string;
  readonly default: SettingValue;
  readonly perConnection?: boolean;
  readonly readOnly?: boolean;
  readonly min?: number;
  readonly max?: number;
}

/** Finds a setting by name, ignoring case; undefined when unknown. */
export function findSetting(name: string): SettingInfo | undefined {
  return (CONFIG_BY_NAME as Record<string, SettingInfo | undefined>)[name.toLowerCase()];
}

/** Converts a Config string value to the setting's type, or throws 608 (InvalidConfigValue). */
export function parseSettingValue(info: SettingInfo, raw: unknown): SettingValue {
  if (info.type === 'boolean') {
    const value = parseBoolean(raw);
    if (value === undefined) throw invalid(info, raw);
    return value;
  }
  if (info.type === 'integer') {
    const value = parseInteger(raw);
    if (value === undefined) throw invalid(info, raw);
    if ((info.min !== undefined && value < info.min) || (info.max !== undefined && value > info.max)) throw invalid(info, raw);
    return value;
  }
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw invalid(info, raw);
}

/** How Config("Name") shows a value. */
export function formatSettingValue(value: SettingValue): string {
  return typeof value === 'boolean' ? formatBoolean(value) : String(value);
}

function invalid(info: SettingInfo, raw: unknown): WSServerError {
  return new WSServerError(ErrorCode.InvalidConfigValue, `Invalid configuration setting value for ${info.name}: ${String(raw)}.`);
}

/**
 * The server-wide values, kept in the generated ConfigValues (one typed field per setting, starting at
 * its documented default). Hot paths read `settings.values.OutBufferSize` directly; the name-based
 * accessors serve Config() and the rarely read settings. Per-connection values live on the connection.
 */
export class Settings {
  readonly values = new ConfigValues();
  /** The settings given a value, by their canonical names (the TLS layer tells a chosen default from none). */
  private readonly assigned = new Set<string>();

  constructor(overrides: Record<string, SettingValue> = {}) {
    for (const [name, value] of Object.entries(overrides)) {
      const info = findSetting(name);
      if (!info) throw new Error(`unknown setting ${name}`);
      this.put(info.name, value);
    }
  }

  get(name: string): SettingValue {
    return (this.values as unknown as Record<string, SettingValue>)[findSetting(name)!.name]!;
  }

  bool(name: string): boolean {
    return this.get(name) === true;
  }

  int(name: string): number {
    return this.get(name) as number;
  }

  str(name: string): string {
    return String(this.get(name));
  }

  /** Stores an already checked value. */
  put(name: string, value: SettingValue): void {
    const canonical = findSetting(name)!.name;
    (this.values as unknown as Record<string, SettingValue>)[canonical] = value;
    this.assigned.add(canonical);
  }

  /** Whether the setting was given a value (even its default) rather than left alone. */
  isAssigned(name: string): boolean {
    const info = findSetting(name);
    return info !== undefined && this.assigned.has(info.name);
  }
}
