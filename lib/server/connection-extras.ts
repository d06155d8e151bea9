/**
 * Per-connection state that most connections never need — line mode, MessageLength, SendFile, pings,
 * Interrupt, synchronous sends, drain waits, the close status — created on first use, so that an open,
 * idle connection carries one empty field for all of it.
 */
import { CloseCode } from '../protocol/constants';
import { ProxyHeaderParser } from '../protocol/proxy-header';
import type { LineSplitter } from './line-splitter';

/** A pending wait that Interrupt, the close or its own outcome settles. */
export interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/** The part of a connection's state that the waits own (see send-wait.ts). */
export interface WaitState {
  /** Called once everything written so far has been handed to the OS. */
  drainWaiters: Array<() => void> | null;
  /** The empty write that marks the spot for drainWaiters is out. */
  drainWaitersArmed: boolean;
  /** Waits that Interrupt (610) or the connection closing (614) end. */
  interrupted: Set<Waiter> | null;
  /** When bytes last moved while a send waited for room (performance.now(); 0: never). */
  progressAt: number;
}

/** The part of a connection's state that SendFile owns (see send-file.ts). */
export interface FileSendState {
  /** A SendFile holds the connection: other sends fail with 10035 (or wait, when synchronous). */
  sendingFile: boolean;
  /** Interrupt was called during the SendFile. */
  fileInterrupted: boolean;
}

/** ProxyProtocol=1: one connection's PROXY protocol header while it is read (driven by proxy-intake.ts). */
export class ProxyIntake {
  readonly parser = new ProxyHeaderParser();
  timer: NodeJS.Timeout | null = null;

  constructor(
    /** Goes on with the connection once the header was read and the addresses applied. */
    readonly proceed: () => void,
  ) {}

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

export class ConnectionExtras implements FileSendState, WaitState {
  /** ConnectionUID, made when first read. */
  uid = '';

  /** ProxyProtocol=1: the PROXY protocol header while it is read (see proxy-intake.ts). */
  proxyIntake: ProxyIntake | null = null;

  // Line mode.
  lineSplitter: LineSplitter | null = null;
  emitLine: ((line: Buffer, eol: boolean) => void) | null = null;
  /** Each line is held until the next one (or the end of the piece) shows whether it ends the message. */
  heldLine: Buffer | null = null;
  heldEol = false;

  /** MessageLength[cid]: bytes still to come in the current multi-call message. */
  messageRemaining = 0;

  /** Called once everything written so far has been handed to the OS (see send-wait.ts). */
  drainWaiters: Array<() => void> | null = null;
  drainWaitersArmed = false;
  progressAt = 0;
  /** ReadyToSend is armed (a send failed with 10035). */
  drainArmed = false;
  pings: Map<string, Waiter> | null = null;
  pingCounter = 0;
  /** Waits that Interrupt (610) or the connection closing (614) end. */
  interrupted: Set<Waiter> | null = null;
  /** Bumped by Interrupt: synchronous sends queued behind others fail if it changed while they waited. */
  interruptEpoch = 0;
  /** Synchronous sends go out in call order: each waits behind the previous one (null: none waits). */
  syncTail: Promise<void> | null = null;
  syncPending = 0;
  sendingFile = false;
  fileInterrupted = false;

  // The status the Disconnected event reports.
  closeCode: number = CloseCode.Abnormal;
  closeReason = '';
  closedPromise: Promise<void> | null = null;
  resolveClosed: (() => void) | null = null;
}
