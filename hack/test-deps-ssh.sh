#!/usr/bin/env bash
# Installs what the ssh infrastructure's tests need (rm/infra): sshd and
# ssh-keygen, from openssh-server and openssh-client. The tests start their
# own sshd on 127.0.0.1; this script starts no service.
#
# Idempotent: quiet, and exit 0, when both are there or when not root (the
# tests then skip, except under CI=true, where they fail).
set -euo pipefail

have_sshd() { command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ]; }
have_keygen() { command -v ssh-keygen >/dev/null 2>&1; }

if have_sshd && have_keygen; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "test-deps-ssh: sshd or ssh-keygen is missing and there is no apt-get; install OpenSSH (server and client) by hand" >&2
	exit 1
fi

# Keep the package scripts from starting sshd as a service.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi

install() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server openssh-client
}
echo "test-deps-ssh: installing openssh-server and openssh-client"
if ! install; then
	echo "test-deps-ssh: install failed; updating the package lists and trying again"
	apt-get update
	install
fi
echo "test-deps-ssh: installed sshd ($(command -v sshd || echo /usr/sbin/sshd)) and ssh-keygen ($(command -v ssh-keygen))"
