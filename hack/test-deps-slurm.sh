#!/usr/bin/env bash
# Installs what the Slurm infrastructure's tests need (slurmctld, slurmd,
# the client commands and munge) from Debian packages. Idempotent: it does
# nothing when they are already installed or when not run as root (the
# tests then skip, outside CI). It never starts a service: the tests bring
# up their own munged, slurmctld and slurmd in a temporary directory.
set -euo pipefail

pkgs=(slurmctld slurmd slurm-client munge)
cmds=(slurmctld slurmd sbatch squeue scancel sinfo munged)

missing=()
for c in "${cmds[@]}"; do
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing+=("$c")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "test-deps-slurm: missing ${missing[*]}; not root, not installing (Slurm tests will skip)" >&2
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "test-deps-slurm: missing ${missing[*]} and no apt-get; install $(printf '%s ' "${pkgs[@]}")by hand" >&2
	exit 0
fi

# Keep maintainer scripts from starting the daemons (and from failing in a
# container without systemd or init scripts): invoke-rc.d asks policy-rc.d,
# and 101 means "action forbidden". Only ours is removed afterwards.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi

export DEBIAN_FRONTEND=noninteractive
install() {
	apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${pkgs[@]}"
}
echo "test-deps-slurm: installing ${pkgs[*]}" >&2
if ! install; then
	apt-get update
	install
fi
