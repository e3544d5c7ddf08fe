#!/usr/bin/env bash
# Starts a private one-machine Slurm cluster on loopback, for the integration tests and
# the Slurm benchmarks: munged, mariadbd, slurmdbd (so `sacct` works), slurmctld and
# slurmd, all as root, configured from a fresh state folder. Nothing in /etc is read or
# written, and no system-wide daemon is touched.
#
# Usage: scripts/slurm/start.sh [STATE_DIR]          (default: /tmp/dora-slurm)
#        eval "$(scripts/slurm/start.sh)"            exports SLURM_CONF in this shell
#
# STATE_DIR must not exist, be empty, or be a folder an earlier start.sh made whose
# daemons are all gone (it is then wiped: job ids and accounting records start afresh
# together). Its whole path must be traversable by everyone (munge refuses a socket
# under a 0700 folder such as the ones `mktemp -d` makes).
#
# The node advertises DORA_SLURM_CPUS CPUs (default 16), DORA_SLURM_MEM_MB MB (default
# 512000) and DORA_SLURM_GPUS fake GPUs (default 8; device files are links to /dev/null),
# whatever the machine has: nothing is enforced, this only drives scheduling. The
# partitions are `debug` (the default) and `devlab` (for `--dev`). Ports DORA_SLURM_PORT
# (default 16817) to DORA_SLURM_PORT+3: slurmctld, slurmd, slurmdbd, mariadbd.
#
# Writes STATE_DIR/env (`export SLURM_CONF=...`), prints that line on stdout (messages go
# to stderr), and records the daemons it started in STATE_DIR/pids for stop.sh.
set -euo pipefail
umask 022

STATE="${1:-/tmp/dora-slurm}"
CPUS="${DORA_SLURM_CPUS:-16}"
MEM_MB="${DORA_SLURM_MEM_MB:-512000}"
GPUS="${DORA_SLURM_GPUS:-8}"
PORT="${DORA_SLURM_PORT:-16817}"
CTLD_PORT=$PORT
SLURMD_PORT=$((PORT + 1))
DBD_PORT=$((PORT + 2))
DB_PORT=$((PORT + 3))
MARKER=.dora-slurm-state
export PATH="$PATH:/usr/sbin:/sbin"

say() { echo "slurm start: $*" >&2; }
die() { say "error: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'; }

[ "$(id -u)" -eq 0 ] || die "run as root (the daemons run as root on loopback)"
for cmd in munged mungekey mariadbd mariadb-install-db mariadb slurmdbd slurmctld slurmd \
    sbatch sacct sacctmgr scontrol sinfo; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found: run scripts/slurm/install.sh"
done

# --- a fresh state folder ---------------------------------------------------------------
case "$STATE" in /*) ;; *) STATE="$PWD/$STATE" ;; esac
alive() {  # alive PID COMM: that process runs and is not a zombie
    local stat
    [ -r "/proc/$1/comm" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] || return 1
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [ "${stat%% *}" != Z ] && [ "${stat%% *}" != X ]
}
if [ -e "$STATE" ]; then
    [ -d "$STATE" ] || die "$STATE exists and is not a folder"
    if [ -n "$(ls -A "$STATE")" ]; then
        [ -e "$STATE/$MARKER" ] || die "$STATE is not empty and was not made by start.sh: \
give a new or empty folder"
        if [ -f "$STATE/pids" ]; then
            while read -r pid comm _; do
                alive "$pid" "$comm" && die "a cluster from $STATE is still running \
($comm, pid $pid): stop it first with scripts/slurm/stop.sh $STATE"
            done <"$STATE/pids"
        fi
        rm -rf "${STATE:?}"/* "${STATE:?}"/.[!.]*
    fi
fi
mkdir -p "$STATE"
chmod 755 "$STATE"
touch "$STATE/$MARKER"
dir="$STATE"
while [ "$dir" != / ]; do  # munged needs x for everyone on every parent of its socket
    [ "$(( 0$(stat -c %a "$dir") & 01 ))" -eq 1 ] || die "$dir is not traversable by \
everyone (mode $(stat -c %a "$dir")); munge needs that: choose another STATE_DIR"
    dir="$(dirname "$dir")"
done
for port in $CTLD_PORT $SLURMD_PORT $DBD_PORT $DB_PORT; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port is in use (another cluster? stop it with scripts/slurm/stop.sh), \
or choose other ports with DORA_SLURM_PORT"
    fi
done

START=$(now)
HOST="$(hostname -s)"
ETC="$STATE/etc"
LOG="$STATE/log"
RUN="$STATE/run"
SOCK="$STATE/munge/munge.sock"
mkdir -p "$ETC" "$LOG" "$RUN" "$STATE/munge" "$STATE/ctld" "$STATE/spool" "$STATE/db" \
    "$STATE/fakegpu"
chmod 700 "$STATE/db"
export SLURM_CONF="$ETC/slurm.conf"

for ((i = 0; i < GPUS; i++)); do ln -s /dev/null "$STATE/fakegpu/nvidia$i"; done

cat >"$SLURM_CONF" <<CONF
# Written by scripts/slurm/start.sh: a one-machine cluster on loopback, for tests.
ClusterName=ci
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK,cred_expire=5
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
EnforcePartLimits=ALL
ReturnToService=2
KillWait=5
MinJobAge=300
JobRequeue=1
MailProg=/bin/true
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
AccountingStoragePass=$SOCK
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.txt
GresTypes=gpu
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB Gres=gpu:$GPUS State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
PartitionName=devlab Nodes=$HOST MaxTime=INFINITE State=UP
CONF

if [ "$GPUS" -gt 0 ]; then
    echo "Name=gpu File=$STATE/fakegpu/nvidia[0-$((GPUS - 1))]" >"$ETC/gres.conf"
else
    : >"$ETC/gres.conf"
fi

# slurmdbd reads slurmdbd.conf next to $SLURM_CONF, and wants it private.
cat >"$ETC/slurmdbd.conf" <<CONF
AuthType=auth/munge
AuthInfo=socket=$SOCK
DbdAddr=127.0.0.1
DbdHost=$HOST
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$RUN/slurmdbd.pid
LogFile=$LOG/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
CONF
chmod 600 "$ETC/slurmdbd.conf"

# --- starting and waiting ---------------------------------------------------------------
: >"$STATE/pids"
READY=false
cleanup() {  # a start that fails half-way stops what it started
    $READY || "$(dirname "${BASH_SOURCE[0]}")/stop.sh" "$STATE" || true
}
trap cleanup EXIT
launch() {  # launch COMM LOGFILE CMD...: start CMD in its own session, record its PID
    local comm=$1 logfile=$2 pid
    shift 2
    setsid "$@" </dev/null >>"$LOG/$comm.out" 2>&1 &
    pid=$!
    # Until setsid execs the daemon, /proc/PID/comm names the shell or setsid.
    for _ in $(seq 200); do
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    alive "$pid" "$comm" || die "$comm exited at once; see $LOG/$comm.out and $logfile"
    echo "$pid $comm $(awk '{ print $22 }' "/proc/$pid/stat")" >>"$STATE/pids"
}
wait_for() {  # wait_for SECONDS WHAT LOGFILE CMD...: until CMD succeeds
    local seconds=$1 what=$2 logfile=$3 deadline
    shift 3
    deadline=$(awk -v n="$(now)" -v s="$seconds" 'BEGIN { printf "%.0f", n + s }')
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || die "$what: not ready after ${seconds}s; see $logfile"
        sleep 0.05
    done
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
node_idle() { [ "$(sinfo -h -n "$HOST" -o %t 2>/dev/null)" = idle ]; }
accounting_ready() {
    sacctmgr -n -P show cluster format=Cluster 2>/dev/null | grep -qx ci && sacct -n -X -a >/dev/null
}

t=$(now)
mungekey --create --keyfile="$STATE/munge/munge.key" --force 2>>"$LOG/munged.log"
chmod 600 "$STATE/munge/munge.key"
launch munged "$LOG/munged.log" munged --foreground --force --socket="$SOCK" \
    --key-file="$STATE/munge/munge.key" --pid-file="$RUN/munged.pid" \
    --seed-file="$STATE/munge/munged.seed" --log-file="$LOG/munged.log"
wait_for 10 munged "$LOG/munged.log" bash -c "munge -n -S '$SOCK' | unmunge -S '$SOCK'"
say "munged up in $(since "$t") s"

t=$(now)
DB_OPTS=(--no-defaults --user=root --datadir="$STATE/db" --socket="$RUN/mariadb.sock"
    --port="$DB_PORT" --bind-address=127.0.0.1 --skip-name-resolve
    --pid-file="$RUN/mariadbd.pid" --log-error="$LOG/mariadbd.log"
    --innodb-buffer-pool-size=256M --innodb-log-file-size=64M
    --innodb-lock-wait-timeout=900 --max-allowed-packet=16M)
mariadb-install-db --no-defaults --user=root --datadir="$STATE/db" \
    --auth-root-authentication-method=socket --skip-test-db >"$LOG/mariadb-install.log" 2>&1 \
    || die "mariadb-install-db failed; see $LOG/mariadb-install.log"
launch mariadbd "$LOG/mariadbd.log" mariadbd "${DB_OPTS[@]}"
wait_for 30 mariadbd "$LOG/mariadbd.log" \
    mariadb --no-defaults -S "$RUN/mariadb.sock" -u root -e "SELECT 1"
mariadb --no-defaults -S "$RUN/mariadb.sock" -u root -e "
    CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';
    CREATE USER 'slurm'@'localhost' IDENTIFIED BY 'slurm';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';" \
    || die "could not create the database user slurm"
say "mariadbd up in $(since "$t") s"

t=$(now)
launch slurmdbd "$LOG/slurmdbd.log" slurmdbd -D
wait_for 30 slurmdbd "$LOG/slurmdbd.log" port_open "$DBD_PORT"
say "slurmdbd up in $(since "$t") s"

t=$(now)
launch slurmctld "$LOG/slurmctld.log" slurmctld -D -i -f "$SLURM_CONF"
wait_for 30 slurmctld "$LOG/slurmctld.log" bash -c "scontrol ping | grep -q UP"
launch slurmd "$LOG/slurmd.log" slurmd -D -N "$HOST" -f "$SLURM_CONF"
wait_for 30 "node $HOST idle" "$LOG/slurmd.log" node_idle
say "slurmctld and slurmd up, node idle in $(since "$t") s"

t=$(now)
wait_for 30 "accounting (sacct)" "$LOG/slurmctld.log" accounting_ready
say "sacct answers after $(since "$t") s"

echo "export SLURM_CONF=$SLURM_CONF" >"$STATE/env"
READY=true
say "cluster ci up in $(since "$START") s: $CPUS CPUs, $GPUS GPUs, partitions debug \
(default) and devlab; source $STATE/env, stop with scripts/slurm/stop.sh $STATE"
echo "export SLURM_CONF=$SLURM_CONF"
