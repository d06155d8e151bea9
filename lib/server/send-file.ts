/**
 * SendFile: one file streamed to one client as ONE binary message. It reads only while the client's
 * queue has room, so memory stays near OutBufferSize whatever the file size; the connection keeps the
 * flags (sendingFile, fileInterrupted) that make other sends wait and Interrupt end the file.
 */
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { Opcode } from '../protocol/constants';
import { ErrorCode } from '../generated/api';
import { WSServerError } from './errors';
import { countSent } from './metrics';
import { waitForRoom } from './send-wait';
import type { ConnectionBase } from './connection-base';
import type { FileSendState } from './connection-extras';

export type { FileSendState } from './connection-extras';

const EMPTY = Buffer.alloc(0);

/**
 * Streams the file at `path` to `connection` as ONE binary message, a part per read (frames of at most
 * MaxFrameSize), reading only while no more than OutBufferSize bytes wait for the client. Resolves once
 * the last part is queued. Timeout > 0 is an inactivity limit (609); Interrupt ends the message early
 * with an empty final frame and fails with 610; so does any other failure part way (609, a read error).
 * @throws WSServerError 10035 while another SendFile or a MessageLength message holds the connection,
 *   613 when the file cannot be opened, 614 when the connection is not open (or closes meanwhile).
 */
export async function sendFile(connection: ConnectionBase, path: string): Promise<void> {
  connection.assertOpen();
  const state = connection.fileState();
  const core = connection.protocolCore;
  if (state.sendingFile || core.sendingParts) throw new WSServerError(ErrorCode.WouldBlock);
  state.sendingFile = true;
  state.fileInterrupted = false;
  const values = connection.engine.settings.values;
  const chunkSize = Math.min(Math.max(values.MaxFrameSize, 16 * 1024), 1024 * 1024);
  let handle: FileHandle | undefined;
  try {
    try {
      handle = await openFile(path, 'r');
    } catch (error) {
      throw new WSServerError(ErrorCode.FileError, `Cannot read file: ${(error as Error).message}`);
    }
    const { size } = await handle.stat();
    let sent = 0;
    for (;;) {
      connection.assertOpen();
      if (state.fileInterrupted) throw new WSServerError(ErrorCode.Interrupted);
      if (connection.queuedBytes > connection.outBufferSize) {
        try {
          await waitForRoom(connection, connection.timeout, true);
        } catch (error) {
          if (!(error instanceof WSServerError) || error.code !== ErrorCode.Interrupted) throw error;
          state.fileInterrupted = true;
        }
        continue;
      }
      const want = Math.min(chunkSize, size - sent);
      const chunk = Buffer.allocUnsafe(Math.max(want, 0));
      const { bytesRead } = want > 0 ? await handle.read(chunk, 0, want, sent) : { bytesRead: 0 };
      connection.assertOpen();
      sent += bytesRead;
      // A file that shrank while being sent ends where its data ends.
      const last = bytesRead === 0 || sent >= size;
      core.sendPart(Opcode.Binary, chunk.subarray(0, bytesRead), last);
      countSent(connection, bytesRead, last);
      connection.flush();
      if (last) return;
    }
  } catch (error) {
    endOpenMessage(connection);
    throw error;
  } finally {
    state.sendingFile = false;
    state.fileInterrupted = false;
    await handle?.close().catch(noop);
  }
}

/**
 * A SendFile that stops part way (Interrupt, a timeout, a read error) ends its message with an empty
 * final frame, so the connection's send state is whole again and later sends work; when even that
 * cannot be sent the connection is not open any more and nothing is owed.
 */
function endOpenMessage(connection: ConnectionBase): void {
  if (!connection.canSend()) return;
  const core = connection.protocolCore;
  if (!core.sendingParts) return;
  core.sendPart(core.partsOpcode, EMPTY, true);
  countSent(connection, 0, true);
  connection.flush();
}

function noop(): void {}
