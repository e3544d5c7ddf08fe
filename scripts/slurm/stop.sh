#!/usr/bin/env bash
# Stops the cluster that scripts/slurm/start.sh started from STATE_DIR: cancels its jobs
# (through Slurm, so job processes end the way Slurm ends them), then ends exactly the
# daemons recorded in STATE_DIR/pids, newest first. A PID is signalled only while it is
# still the process start.sh recorded (same /proc/PID/comm and start time), so a reused
# PID is never touched. Removes nothing: the state folder and its logs stay.
#
# Usage: scripts/slurm/stop.sh [STATE_DIR]          (default: /tmp/dora-slurm)
set -uo pipefail

STATE="${1:-/tmp/dora-slurm}"
export PATH="$PATH:/usr/sbin:/sbin"
say() { echo "slurm stop: $*" >&2; }

if [ ! -f "$STATE/pids" ]; then
    say "nothing to stop: $STATE/pids does not exist"
    exit 0
fi

same_process() {  # same_process PID COMM START: that very process, alive, not a zombie
    local stat
    [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] || return 1
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    set -- "$1" "$2" "$3" $stat
    # After the `) `: field 3 (state) is $4 here, field 22 (start time) is $23.
    [ "$4" != Z ] && [ "$4" != X ] && [ "${23}" = "$3" ]
}

mapfile -t RECORDS <"$STATE/pids"
ctld_alive=false
for record in "${RECORDS[@]}"; do
    read -r pid comm start <<<"$record"
    [ "$comm" = slurmctld ] && same_process "$pid" "$comm" "$start" && ctld_alive=true
done

# 1. Jobs: cancel them all and give Slurm KillWait (5 s) and a margin to end them.
if $ctld_alive && [ -f "$STATE/etc/slurm.conf" ]; then
    export SLURM_CONF="$STATE/etc/slurm.conf"
    jobs="$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')"
    if [ -n "${jobs// /}" ]; then
        say "cancelling jobs $jobs"
        # shellcheck disable=SC2086
        timeout 10 scancel $jobs 2>/dev/null
        for _ in $(seq 150); do
            [ -z "$(timeout 5 squeue -h -o %A 2>/dev/null)" ] && break
            sleep 0.1
        done
        left="$(timeout 5 squeue -h -o '%A %T' 2>/dev/null | tr '\n' ' ')"
        [ -z "$left" ] || say "warning: jobs still in the queue: $left"
    fi
fi

# 2. Daemons, newest first: slurmd, slurmctld, slurmdbd, mariadbd, munged.
status=0
for ((i = ${#RECORDS[@]} - 1; i >= 0; i--)); do
    read -r pid comm start <<<"${RECORDS[$i]}"
    if ! same_process "$pid" "$comm" "$start"; then
        continue
    fi
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do
        same_process "$pid" "$comm" "$start" || break
        sleep 0.1
    done
    if same_process "$pid" "$comm" "$start"; then
        say "$comm (pid $pid) ignored SIGTERM for 10 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null
        sleep 0.2
        same_process "$pid" "$comm" "$start" && { say "could not stop $comm (pid $pid)"; status=1; }
    fi
    say "stopped $comm (pid $pid)"
done
exit $status
