#!/usr/bin/env bash
# Installs what a one-machine Slurm cluster needs, when missing: munge, slurmctld, slurmd,
# slurm-client, slurmdbd and mariadb-server (Debian/Ubuntu packages, through apt-get).
#
# Needs root and apt-get. Installs nothing when every command is already there. While it
# installs, a policy-rc.d blocks the packages' post-install scripts from starting the
# system-wide daemons (start.sh runs private ones); an existing policy-rc.d is put back.
#
# Usage: scripts/slurm/install.sh
set -euo pipefail

PACKAGES=(munge slurmctld slurmd slurm-client slurmdbd mariadb-server)
# One command per package, to tell whether it is installed.
COMMANDS=(munged slurmctld slurmd sbatch slurmdbd mariadbd)

missing=()
for i in "${!PACKAGES[@]}"; do
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "${COMMANDS[$i]}" >/dev/null 2>&1; then
        missing+=("${PACKAGES[$i]}")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "slurm install: everything is installed already"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "slurm install: root is needed to install ${missing[*]}" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "slurm install: apt-get not found; install ${missing[*]} by hand" >&2
    exit 1
fi

POLICY=/usr/sbin/policy-rc.d
SAVED=""
if [ -e "$POLICY" ] || [ -L "$POLICY" ]; then
    SAVED="$(mktemp /usr/sbin/.policy-rc.d.saved.XXXXXX)"
    mv -f "$POLICY" "$SAVED"
fi
restore_policy() {
    rm -f "$POLICY"
    if [ -n "$SAVED" ]; then
        mv -f "$SAVED" "$POLICY"
    fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# scripts/slurm/install.sh: no service starts during the install\nexit 101\n' >"$POLICY"
chmod 755 "$POLICY"

echo "slurm install: installing ${missing[*]}"
start=$(date +%s.%N)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "slurm install: done in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
