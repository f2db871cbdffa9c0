#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for running profiles/slurm for real:
# munged, slurmctld and slurmd as plain daemons (no systemd needed), one partition with
# this host as its only node, no accounting (no slurmdbd, so `sacct` is useless and the
# workflow's status command is squeue; MinJobAge=300 keeps finished jobs visible to it).
#
#   sudo tools/slurm/start_single_node.sh     # install if missing, configure, start, wait
#   sudo tools/slurm/stop_single_node.sh      # stop the daemons again
#
# Idempotent: when the daemons already run with the configuration this script writes,
# it only checks that the node is up. Jobs that a slurmctld it starts recovers from an
# earlier, interrupted run are cancelled. Debian/Ubuntu only (apt-get); needs root.
# Environment:
#   SLURM_START_TIMEOUT   seconds to wait for the node to become idle (default 90)
#   SLURM_FORCE_CONFIG=1  overwrite an /etc/slurm/slurm.conf this script did not write
set -euo pipefail

readonly NAME="start_single_node.sh"
readonly PACKAGES=(slurmctld slurmd slurm-client munge)
readonly CONF_DIR=/etc/slurm
readonly MARKER="# Written by tools/slurm/start_single_node.sh"
readonly STATE_DIR=/var/lib/slurm
readonly LOG_DIR=/var/log/slurm
readonly CTLD_PID=/run/slurmctld.pid
readonly SLURMD_PID=/run/slurmd.pid
readonly TIMEOUT="${SLURM_START_TIMEOUT:-90}"
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:${PATH}"

info() { echo "$NAME: $*"; }
die() {
    echo "$NAME: error: $*" >&2
    exit 1
}

show_logs() {
    local log
    for log in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" /var/log/munge/munged.log; do
        if [[ -s $log ]]; then
            echo "----- last lines of $log -----" >&2
            tail -n 15 "$log" >&2
        fi
    done
}

[[ $(id -u) -eq 0 ]] || die "must run as root: it installs packages, writes $CONF_DIR and starts daemons"

# ----------------------------------------------------------------------------- packages

missing_programs() {
    local program
    for program in munged munge unmunge slurmctld slurmd sinfo squeue sbatch srun scontrol; do
        command -v "$program" >/dev/null 2>&1 || echo "$program"
    done
}

install_packages() {
    command -v apt-get >/dev/null 2>&1 ||
        die "SLURM is not installed and apt-get is missing: install ${PACKAGES[*]} by hand"
    info "installing ${PACKAGES[*]} (missing: $(missing_programs | tr '\n' ' '))"
    # Without an init system the packages' maintainer scripts must not try to start
    # the daemons (they would fail without a slurm.conf): a temporary policy-rc.d.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        created_policy=1
    fi
    local status=0
    export DEBIAN_FRONTEND=noninteractive
    local install=(apt-get install -y -q --no-install-recommends "${PACKAGES[@]}")
    if ! "${install[@]}" >/tmp/slurm-apt.log 2>&1; then
        # Fresh machines often have no package lists yet.
        { apt-get update -q && "${install[@]}"; } >>/tmp/slurm-apt.log 2>&1 || status=$?
    fi
    ((created_policy)) && rm -f "$policy"
    if ((status != 0)); then
        tail -n 30 /tmp/slurm-apt.log >&2
        die "apt-get install ${PACKAGES[*]} failed (full log: /tmp/slurm-apt.log)"
    fi
    [[ -z $(missing_programs) ]] ||
        die "still missing after the installation: $(missing_programs | tr '\n' ' ')"
}

[[ -z $(missing_programs) ]] || install_packages

# ----------------------------------------------------------------------------- configuration

host=$(hostname -s)
[[ -n $host ]] || die "this machine has no host name (hostname -s is empty)"

# The node as slurmd itself sees it: CPUs, sockets, cores, threads and memory.
node_line=$(slurmd -C 2>/dev/null | head -n 1) || true
[[ $node_line == NodeName=* ]] || die "'slurmd -C' did not describe this node: '$node_line'"
memory_mb=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node_line")
[[ -n $memory_mb ]] || die "no RealMemory in 'slurmd -C': '$node_line'"
# A little below the detected memory: a node configured with more memory than slurmd
# measures is drained ("Low RealMemory").
memory_mb=$((memory_mb - memory_mb / 50))
node_line=$(sed "s/RealMemory=[0-9]*/RealMemory=$memory_mb/" <<<"$node_line")

# cgroup.conf: slurmd of SLURM 22.05 (Debian 12) loads a cgroup plugin even with
# proctrack/linuxproc and task/none, and fails to start on hosts where its
# autodetection of the cgroup version fails: name the version explicitly.
if [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ]]; then
    cgroup_conf="CgroupPlugin=cgroup/v2
# No systemd to create the slurmd scope.
IgnoreSystemd=yes"
else
    cgroup_conf="CgroupPlugin=cgroup/v1"
fi

slurm_conf="$MARKER: single-node cluster on $host.
ClusterName=single
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$STATE_DIR/slurmctld
SlurmdSpoolDir=$STATE_DIR/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
# No systemd and no cgroup confinement: processes tracked through /proc.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
# CPUs are the consumable resource; a job's --mem must still fit the node's RealMemory.
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# No accounting: no slurmdbd, no job completion log.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# Finished jobs stay visible to squeue for 300 s: the status command of profiles/slurm
# (squeue) must see every job end (at least 120 s needed).
MinJobAge=300
ReturnToService=2
InactiveLimit=0
KillWait=30
SlurmctldTimeout=120
SlurmdTimeout=300
$node_line NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP"

cgroup_conf="$MARKER.
$cgroup_conf"

# Write a file only if its content changes; echo the path when it did.
write_if_changed() {
    local path=$1 content=$2
    if [[ -f $path ]] && [[ $(cat "$path") == "$content" ]]; then
        return 0
    fi
    if [[ -f $path ]] && ! grep -qF "$MARKER" "$path" && [[ ${SLURM_FORCE_CONFIG:-0} != 1 ]]; then
        die "$path exists and was not written by this script; not overwriting it" \
            "(set SLURM_FORCE_CONFIG=1 to replace it)"
    fi
    printf '%s\n' "$content" >"$path.tmp"
    mv "$path.tmp" "$path"
    echo "$path"
}

mkdir -p "$CONF_DIR" "$STATE_DIR/slurmctld" "$STATE_DIR/slurmd" "$LOG_DIR"
chown slurm:slurm "$STATE_DIR/slurmctld" "$LOG_DIR"
changed=$(
    write_if_changed "$CONF_DIR/slurm.conf" "$slurm_conf"
    write_if_changed "$CONF_DIR/cgroup.conf" "$cgroup_conf"
)
[[ -z $changed ]] || info "wrote $(tr '\n' ' ' <<<"$changed")"

# ----------------------------------------------------------------------------- daemons

# True when the process of a pid file runs and is the named program. A killed daemon
# whose parent does not reap it (a container without an init) stays a zombie under its
# pid: not running.
alive() {
    local stat
    { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

running() {
    local pidfile=$1 program=$2 pid
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ -r /proc/$pid/comm ]] && [[ $(<"/proc/$pid/comm") == "$program"* ]] && alive "$pid"
}

stop_daemon() {
    local pidfile=$1 program=$2 pid i
    running "$pidfile" "$program" || return 0
    pid=$(<"$pidfile")
    info "stopping $program (configuration changed)"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        alive "$pid" || return 0
        sleep 0.2
    done
    die "$program (pid $pid) did not stop within 20 s"
}

if [[ -n $changed ]]; then
    stop_daemon "$SLURMD_PID" slurmd
    stop_daemon "$CTLD_PID" slurmctld
fi

# munge: the authentication of every SLURM message.
if [[ ! -s /etc/munge/munge.key ]]; then
    info "creating /etc/munge/munge.key"
    install -d -o munge -g munge -m 0700 /etc/munge
    runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
fi
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    info "starting munged"
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
    # A stale socket or pid file of a killed munged stops a new one: --force.
    runuser -u munge -- munged --force || {
        show_logs
        die "munged did not start"
    }
    for ((i = 0; i < 50; i++)); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.2
    done
    munge -n | unmunge >/dev/null || {
        show_logs
        die "munge does not work (munge -n | unmunge failed)"
    }
fi

controller_started=0
if ! running "$CTLD_PID" slurmctld; then
    info "starting slurmctld"
    slurmctld || {
        show_logs
        die "slurmctld did not start"
    }
    controller_started=1
fi
if ! running "$SLURMD_PID" slurmd; then
    info "starting slurmd"
    slurmd || {
        show_logs
        die "slurmd did not start"
    }
fi

# ----------------------------------------------------------------------------- jobs of earlier runs

# A controller that was not running recovers the jobs of its saved state: those of an
# earlier run that was interrupted (a reboot, killed daemons), whose Snakemake is gone.
# Left alone they hold the node until their time limit or SlurmdTimeout runs out, and
# the pending ones then run: cancel them, and wait below until they have left the queue.
stale=""
if ((controller_started)); then
    listed=0
    for ((i = 0; i < 100; i++)); do
        if stale=$(timeout 10 squeue --noheader --format=%i 2>/dev/null); then
            listed=1
            break
        fi
        sleep 0.2
    done
    ((listed)) || {
        show_logs
        die "slurmctld does not answer squeue"
    }
    stale=$(tr '\n' ' ' <<<"$stale" | xargs)
    if [[ -n $stale ]]; then
        info "cancelling jobs of an earlier run recovered by slurmctld: $stale"
        # shellcheck disable=SC2086  # one argument per job id
        scancel $stale || true
    fi
fi

# True while a cancelled job of an earlier run is still pending, running or completing.
stale_listed() {
    [[ -n $stale ]] || return 1
    [[ -n $(timeout 10 squeue --noheader --format=%i --jobs="${stale// /,}" 2>/dev/null) ]]
}

# ----------------------------------------------------------------------------- wait for the node

state=""
resumed=0
for ((waited = 0; waited < TIMEOUT; waited++)); do
    # A daemon that died after starting (bad configuration, port in use): its log says why;
    # sinfo would only retry its connection until the timeout.
    if ((waited >= 5)) && ! { running "$CTLD_PID" slurmctld && running "$SLURMD_PID" slurmd; }; then
        show_logs
        die "slurmctld or slurmd stopped after starting"
    fi
    state=$(timeout 10 sinfo --noheader --nodes="$host" --format=%T 2>/dev/null | head -n 1) ||
        state=""
    case $state in
        idle | mixed | allocated | completing)
            if stale_listed; then
                sleep 1
                continue
            fi
            info "node $host is $state ($(sinfo --noheader --nodes="$host" --format='%c CPUs, %m MB'))"
            exit 0
            ;;
        down* | drain* | fail*)
            # Left down or drained by an earlier run (e.g. a restart while jobs ran).
            if ((!resumed && waited >= 3)); then
                info "node $host is $state ($(sinfo --noheader -R --nodes="$host" --format=%E)), resuming it"
                scontrol update NodeName="$host" State=RESUME || true
                resumed=1
            fi
            ;;
    esac
    sleep 1
done
sinfo >&2 || true
sinfo -R >&2 || true
show_logs
die "node $host is not idle after ${TIMEOUT}s (state: '${state:-no answer from slurmctld}')"
