/**
 * Host names in AllowedClients / BlockedClients, looked up. A name entry matches the addresses the
 * system resolver gives for it (node:dns lookup, every address of both families, as getaddrinfo and
 * /etc/hosts say), looked up when listening starts and when the setting changes while listening. The
 * client's address is never looked up in reverse: a PTR record is the client's to write.
 *
 * A lookup that fails, or takes longer than LOOKUP_TIMEOUT_MS, is reported (Log and the Error event,
 * connection id 0, with the resolver's code: 11001 for a name that does not exist …) and leaves the
 * name with what it resolved to before — nothing, the first time. A late answer is still taken.
 */
import { promises as dns } from 'node:dns';
import { ErrorCode, errorMessage } from '../generated/api';
import type { ClientList } from './client-filter';
import { socketErrorCode } from './socket-errors';

/** How long one lookup may take before it counts as failed (getaddrinfo can retry for much longer). */
export const LOOKUP_TIMEOUT_MS = 5000;

/** A lookup that did not give addresses. */
export interface NameFailure {
  /** The setting the name is in. */
  setting: 'AllowedClients' | 'BlockedClients';
  name: string;
  /** The component's code for the failure: 11001–11004 from the resolver (11002 also for our timeout). */
  code: number;
  /** What to report: the message of the code, the name and the resolver's own words. */
  description: string;
}

/**
 * Looks up every host name of `list` and hands each result to `list.resolved()`. Resolves once every
 * lookup has finished or timed out, with the failures (also passed to `onFailure` as they happen).
 */
export async function resolveClientNames(
  setting: NameFailure['setting'],
  list: ClientList,
  onFailure: (failure: NameFailure) => void,
): Promise<NameFailure[]> {
  const failures: NameFailure[] = [];
  await Promise.all(
    list.hostNames.map(async (name) => {
      const failure = await resolveOne(setting, list, name);
      if (failure === null) return;
      failures.push(failure);
      onFailure(failure);
    }),
  );
  return failures;
}

async function resolveOne(setting: NameFailure['setting'], list: ClientList, name: string): Promise<NameFailure | null> {
  // Read at call time, so a spec can stand in for the system's resolver (sinon.stub(dns.promises, 'lookup')).
  const lookup = dns.lookup(name, { all: true, verbatim: true }).then(
    (found) => {
      list.resolved(name, found.map((entry) => entry.address));
      return null;
    },
    (error: unknown) => {
      list.resolved(name, null);
      return error;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, LOOKUP_TIMEOUT_MS, 'timeout');
    timer.unref();
  });
  const outcome = await Promise.race([lookup, timeout]);
  clearTimeout(timer);
  if (outcome === null) return null;
  if (outcome === 'timeout') {
    // The name is no longer pending: a lookup that hangs must not keep refusing every client.
    if (!list.isResolved(name)) list.resolved(name, null);
    return failure(setting, name, ErrorCode.HostNotFoundTryAgain, `no answer within ${LOOKUP_TIMEOUT_MS} ms`);
  }
  const detail = outcome instanceof Error ? outcome.message : String(outcome);
  return failure(setting, name, socketErrorCode(outcome) ?? ErrorCode.HostNotFound, detail);
}

function failure(setting: NameFailure['setting'], name: string, code: number, detail: string): NameFailure {
  return { setting, name, code, description: `${errorMessage(code)} ${setting}: '${name}' could not be resolved (${detail}).` };
}
