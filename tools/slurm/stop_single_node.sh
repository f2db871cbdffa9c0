#!/usr/bin/env bash
# Stop the single-node SLURM of start_single_node.sh: slurmd, slurmctld and munged.
# Jobs still running are killed with slurmd. Packages and configuration stay, so
# start_single_node.sh starts the same cluster again in a second. Needs root.
set -euo pipefail

readonly NAME="stop_single_node.sh"
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:${PATH}"

die() {
    echo "$NAME: error: $*" >&2
    exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root"

# Whether a process runs: a killed daemon whose parent does not reap it (a container
# without an init) stays a zombie under its pid.
alive() {
    local stat
    { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# pid of the process named in a pid file, if that process runs and is the program.
pid_of() {
    local pidfile=$1 program=$2 pid
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ -r /proc/$pid/comm ]] && [[ $(<"/proc/$pid/comm") == "$program"* ]] || return 1
    alive "$pid" || return 1
    echo "$pid"
}

stop() {
    local pidfile=$1 program=$2 pid i
    if ! pid=$(pid_of "$pidfile" "$program"); then
        echo "$NAME: $program is not running"
        return 0
    fi
    echo "$NAME: stopping $program (pid $pid)"
    kill "$pid" 2>/dev/null || true
    # Until the process is gone (it may remove its pid file before it exits).
    for ((i = 0; i < 100; i++)); do
        alive "$pid" || return 0
        sleep 0.2
    done
    echo "$NAME: $program did not stop after 20 s, killing it"
    kill -9 "$pid" 2>/dev/null || true
}

stop /run/slurmd.pid slurmd
stop /run/slurmctld.pid slurmctld
stop /run/munge/munged.pid munged
