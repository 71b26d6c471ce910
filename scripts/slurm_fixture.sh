#!/usr/bin/env bash
# A real single-node Slurm (slurmctld, slurmd, munged) on localhost for the cluster tests.
#
#   bash scripts/slurm_fixture.sh up      # installs (idempotently) and starts the daemons;
#                                         # prints `export SLURM_CONF=…` for the clients
#   bash scripts/slurm_fixture.sh down    # stops the daemons it started
#
# Its configuration, state, logs and pid files live in $SGLAB_SLURM_DIR (default
# /tmp/sglab-slurm), so nothing under /etc/slurm is touched: clients find it through
# SLURM_CONF. `up` exits 3, with the reason on stderr, where Slurm cannot be installed (then
# the tests that need it are skipped, saying so), and 1 where it is installed but does not
# start. Needs root (apt, munge, slurmd).
set -euo pipefail
dir="${SGLAB_SLURM_DIR:-/tmp/sglab-slurm}"
conf="$dir/slurm.conf"

up() {
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
        echo "installing slurmctld slurmd slurm-client munge" >&2
        if ! { { [[ -d /var/lib/apt/lists ]] && ls /var/lib/apt/lists/*Packages* >/dev/null 2>&1; } || apt-get update -qq; } \
            || ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null 2>&1; then
            echo "Slurm could not be installed (apt-get install slurmctld slurmd slurm-client munge failed)" >&2
            exit 3
        fi
    fi
    [[ -s "$dir/slurmctld.pid" ]] && { down >/dev/null 2>&1 || true; }
    rm -rf "$dir"
    install -d -m 0755 "$dir" "$dir/log"
    install -d -o slurm -g slurm -m 0755 "$dir/ctld" "$dir/d"
    # The node line from what slurmd sees (RealMemory must not exceed what is there).
    node="$(slurmd -C | head -1 | sed 's/^NodeName=[^ ]*/NodeName=localhost/') State=UNKNOWN"
    cat >"$conf" <<EOF
ClusterName=sglabtest
SlurmctldHost=localhost
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
DependencyParameters=kill_invalid_depend
SchedulerParameters=batch_sched_delay=0
MinJobAge=600
MailProg=/bin/true
$node
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    chown slurm:slurm "$dir/log"
    # No systemd: munged's socket folder does not exist, and munged refuses to run as root.
    install -d -o munge -g munge -m 0755 /run/munge
    if [[ ! -s /etc/munge/munge.key ]]; then
        /usr/sbin/mungekey --create --force
        chown munge:munge /etc/munge/munge.key
        chmod 0400 /etc/munge/munge.key
    fi
    if ! munge -n >/dev/null 2>&1; then
        runuser -u munge -- /usr/sbin/munged
        touch "$dir/started-munged"
    fi
    munge -n | unmunge >/dev/null
    /usr/sbin/slurmctld -f "$conf"
    /usr/sbin/slurmd -f "$conf"
    export SLURM_CONF="$conf"
    for _ in $(seq 150); do
        if [[ "$(sinfo -h -N -o %t 2>/dev/null)" == idle ]]; then
            echo "$(sinfo --version): slurmctld, slurmd and munged running; node $(sinfo -h -N -o '%N %t, %c CPUs')" >&2
            echo "export SLURM_CONF=$conf"
            return 0
        fi
        sleep 0.2
    done
    echo "the Slurm node did not become idle:" >&2
    sinfo -R >&2 || true
    tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
    down >/dev/null 2>&1 || true
    exit 1
}

down() {
    export SLURM_CONF="$conf"
    # Without a controller of ours, the clients would retry for minutes.
    [[ -s "$dir/slurmctld.pid" ]] || return 0
    scancel --user="$(id -un)" 2>/dev/null || true
    scontrol shutdown 2>/dev/null || true
    for f in "$dir/slurmctld.pid" "$dir/slurmd.pid"; do
        [[ -s $f ]] || continue
        p="$(cat "$f")"
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
        kill "$p" 2>/dev/null || true
        rm -f "$f"
    done
    if [[ -e "$dir/started-munged" && -s /run/munge/munged.pid ]]; then
        kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
        rm -f "$dir/started-munged"
    fi
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
