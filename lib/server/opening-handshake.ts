/**
 * The HTTP phase of a connection (RFC 6455 §4.2): reading the upgrade request, keeping what the client
 * sends behind it until the WebSocket is open, and working out the answer — the 101 with the agreed
 * subprotocol and permessage-deflate, or an HTTP error. No I/O here: the connection writes what these
 * return, owns the socket and sets the timers (their handles are kept here, so they go with the handshake).
 */
import { HttpRequestParser, type HttpRequest } from '../protocol/http-request';
import {
  formatAcceptResponse,
  formatRejectResponse,
  validateUpgradeRequest,
  type ExtraHeaders,
  type UpgradeRequest,
} from '../protocol/handshake';
import { negotiatePermessageDeflate, type DeflateOptions } from '../protocol/permessage-deflate';
import { PerMessageDeflate } from '../codec/deflate-codec';
import type { WebSocketOpenRequestEvent } from './events';

/** What the opening handshake needs while it lasts; the connection drops it once it is over. */
export class OpeningHandshake {
  /** Null once the request is complete. */
  private parser: HttpRequestParser | null;
  /** Bytes that came behind the request, before the WebSocket was open. */
  private pendingInput: Buffer | null = null;
  /** The validated request, while WebSocketOpenRequest decides on it. */
  upgrade: UpgradeRequest | null = null;
  /** HandshakeTimeout's timer. */
  timer: NodeJS.Timeout | null = null;
  /** A 'timeout' listener (DefaultConnectionTimeout) was added for the handshake. */
  idleTimeout = false;

  /** @param maxHeaderSize MaxHeaderSize: the largest request head accepted, in bytes. */
  constructor(maxHeaderSize: number) {
    this.parser = new HttpRequestParser({ maxHeaderSize });
  }

  /**
   * Feeds bytes of the upgrade request. Returns the request (also kept in `upgrade`) once it is complete
   * and valid, else null; what came behind it is kept for the WebSocket (see takePendingInput). Must not
   * be called again after it returned the request.
   * @throws HandshakeError for a malformed, oversized or non-conforming request (§4.2.1).
   */
  read(chunk: Buffer): UpgradeRequest | null {
    const request = this.readRequest(chunk);
    return request === null ? null : this.validate(request);
  }

  /**
   * Feeds bytes of the request and returns its head once complete (what came behind it is kept), before
   * it is checked as an upgrade: a health check (HealthCheckPath) is answered from here. Then validate().
   * @throws HandshakeError for a malformed or oversized head.
   */
  readRequest(chunk: Buffer): HttpRequest | null {
    const parser = this.parser!;
    const request = parser.push(chunk);
    if (!request) return null;
    this.pendingInput = parser.takeRemainder();
    this.parser = null;
    return request;
  }

  /**
   * Checks the request read by readRequest() as an upgrade (§4.2.1); kept in `upgrade`.
   * @throws HandshakeError for a non-conforming request.
   */
  validate(request: HttpRequest): UpgradeRequest {
    return (this.upgrade = validateUpgradeRequest(request));
  }

  /** Keeps frames a client sends right behind its request until the handshake completes. */
  hold(chunk: Buffer): void {
    this.pendingInput = this.pendingInput ? Buffer.concat([this.pendingInput, chunk]) : chunk;
  }

  /** What came behind the request (null or empty when nothing did); it is handed out once. */
  takePendingInput(): Buffer | null {
    const early = this.pendingInput;
    this.pendingInput = null;
    return early;
  }

  clearTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}

/** The offered subprotocols as WebSocketOpenRequest and WSConnectionSubProtocols show them. */
export function offeredSubprotocols(upgrade: UpgradeRequest): string {
  return upgrade.subprotocols.length === 0 ? '' : upgrade.subprotocols.join(', ');
}

/** The WebSocketOpenRequest event for a valid request, its out-parameters set to accept. */
export function openRequestEvent(connectionId: number, upgrade: UpgradeRequest): WebSocketOpenRequestEvent {
  return {
    connectionId,
    requestURI: upgrade.uri,
    hostHeader: upgrade.host,
    originHeader: upgrade.origin,
    subProtocols: offeredSubprotocols(upgrade),
    extensions: upgrade.extensionsHeader,
    requestHeaders: upgrade.request.rawHeaders,
    statusCode: 101,
    responseHeaders: '',
  };
}

/** What the server agreed to when it accepts. */
export interface Agreement {
  /** The permessage-deflate context, when it was offered, enabled and agreed. */
  deflate: PerMessageDeflate | null;
  /** The Sec-WebSocket-Extensions value to answer ('' if none). */
  extensions: string;
  /** The selected subprotocol ('' if none). */
  protocol: string;
}

/**
 * Decides the extensions and the subprotocol of an accepted request. The application's choice
 * (`event.subProtocols`) counts only if the client offered it.
 */
export function agree(
  upgrade: UpgradeRequest,
  event: WebSocketOpenRequestEvent,
  options: { enableDeflate: boolean; maxMessageSize: number; deflate: DeflateOptions },
): Agreement {
  // The application's value first: should it not convert, nothing (no zlib context) has been made yet.
  const selected = String(event.subProtocols ?? '').trim();
  const protocol = upgrade.subprotocols.includes(selected) ? selected : '';
  let deflate: PerMessageDeflate | null = null;
  let extensions = '';
  if (options.enableDeflate && upgrade.extensionOffers.length > 0) {
    const policy = options.deflate;
    const agreed = negotiatePermessageDeflate(upgrade.extensionOffers, policy);
    if (agreed) {
      deflate = new PerMessageDeflate(agreed.params, {
        maxMessageSize: options.maxMessageSize,
        threshold: policy.threshold,
        level: policy.level,
        memLevel: policy.memLevel,
      });
      extensions = agreed.response;
    }
  }
  return { deflate, extensions, protocol };
}

/**
 * The 101 answer.
 * @throws TypeError when the application's extra headers are bad (see formatAcceptResponse).
 */
export function acceptResponse(upgrade: UpgradeRequest, agreement: Agreement, headers: string): Buffer {
  return formatAcceptResponse({
    key: upgrade.key,
    subprotocol: agreement.protocol || undefined,
    offered: upgrade.subprotocols,
    extensions: agreement.extensions,
    headers: headers || undefined,
  });
}

/** The HTTP error answer; extra headers that cannot be sent are left out rather than losing the answer. */
export function rejectResponse(status: number, headers: ExtraHeaders): Buffer {
  try {
    return formatRejectResponse(status, { headers });
  } catch {
    return formatRejectResponse(status);
  }
}
