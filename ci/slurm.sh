#!/usr/bin/env bash
# ci/slurm.sh -- bring up a REAL single-node SLURM cluster on localhost (Debian 12 packages,
# daemons started by hand, no systemd), so CI runs radtune through sbatch exactly as a cluster would.
#
#   sudo ci/slurm.sh start     # install + configure + start, wait until the node is idle
#   sudo ci/slurm.sh stop      # stop the daemons this script started (by PID files)
#   ci/slurm.sh status
#
# The cluster it makes matches profiles/ci/config.yaml: account "ci", partition "debug",
# one fake GPU (gres gpu:1, File=/dev/null) so GPU rules are scheduled as on a real GPU node.
#
# Idempotent: packages are only installed when missing, configs are rewritten
# only when they differ, daemons that already run are left alone (restarted
# only if their config changed).
#
# Environment knobs:
#   SLURM_CI_ACCOUNTING=dbd   (default) slurmdbd + MariaDB, so `sacct`/`sacctmgr` work
#   SLURM_CI_ACCOUNTING=none  no accounting daemon; `sacct` then FAILS
#                             ("Slurm accounting storage is disabled") and the
#                             snakemake slurm plugin must use `--slurm-status-command squeue`
#   SLURM_CI_GPUS=1           number of fake GPUs (GRES gpu, File=/dev/null) on the node; 0 = none
#   SLURM_CI_ACCOUNT=ci       SLURM account created in dbd mode
#   SLURM_CI_USERS=root       users given an association to $SLURM_CI_ACCOUNT (space separated)
set -euo pipefail

MODE="${SLURM_CI_ACCOUNTING:-dbd}"
GPUS="${SLURM_CI_GPUS:-1}"
ACCOUNT="${SLURM_CI_ACCOUNT:-ci}"
USERS="${SLURM_CI_USERS:-root}"
CLUSTER=localci
PARTITION=debug
H="$(hostname -s)"
ETC=/etc/slurm
LOGDIR=/var/log/slurm
DBPASS=slurmci     # local-only MariaDB password for the slurm DB user

T0=$(date +%s.%N)
ts() { awk -v a="$(date +%s.%N)" -v b="$T0" 'BEGIN{printf "%6.1fs", a-b}'; }
log() { echo "[ci/slurm.sh $(ts)] $*"; }

pid_alive() { # pidfile
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}
stop_pidfile() { # name pidfile
  local name=$1 f=$2 p
  if pid_alive "$f"; then
    p=$(cat "$f"); log "stopping $name (pid $p)"; kill "$p"
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$p" 2>/dev/null && { log "$name pid $p still alive, sending KILL"; kill -9 "$p"; }
  fi
  rm -f "$f"
}
drop_stale() { # pidfile: a PID file whose process is gone (an unclean stop) is removed before a start
  if [ -e "$1" ] && ! pid_alive "$1"; then log "removing stale $1"; rm -f "$1"; fi
}
wait_for() { # description timeout_s command...
  local what=$1 to=$2; shift 2
  local end=$(( $(date +%s) + to ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$end" ] && { log "TIMEOUT waiting for $what"; return 1; }
    sleep 0.2
  done
  log "$what: ok"
}

do_stop() {
  stop_pidfile slurmd    /run/slurmd.pid
  stop_pidfile slurmctld /run/slurmctld.pid
  stop_pidfile slurmdbd  /run/slurmdbd.pid
  stop_pidfile mariadbd  /run/mysqld/mysqld.pid
  stop_pidfile munged    /run/munge/munged.pid
}

do_status() {
  for f in /run/munge/munged.pid /run/mysqld/mysqld.pid /run/slurmdbd.pid /run/slurmctld.pid /run/slurmd.pid; do
    if pid_alive "$f"; then echo "running  $(cat "$f")  $f"; else echo "stopped  -  $f"; fi
  done
  sinfo 2>&1 || true
}

case "${1:-start}" in
  stop)   do_stop; exit 0 ;;
  status) do_status; exit 0 ;;
  logs)   tail -n "${2:-30}" "$LOGDIR"/slurmctld.log "$LOGDIR"/slurmd.log; exit 0 ;;
  start)  ;;
  *) echo "usage: $0 [start|stop|status|logs [N]]" >&2; exit 2 ;;
esac

[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }

# ---------------------------------------------------------------- 1. install
PKGS="munge slurmctld slurmd slurm-client"
[ "$MODE" = dbd ] && PKGS="$PKGS slurmdbd mariadb-server"
missing=""
for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"; done
if [ -n "$missing" ]; then
  log "apt-get install:$missing"
  # postinst scripts try to start services; in CI (no systemd) that is either
  # denied by policy-rc.d or done via init.d -- both are handled below.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/var/log/radtune-ci-slurm.apt.log 2>&1; then
    log "install failed, running apt-get update and retrying"
    apt-get update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/var/log/radtune-ci-slurm.apt.log 2>&1
  fi
fi
log "packages present ($(dpkg-query -W -f='${Version}' slurmctld))"

# ---------------------------------------------------------------- 2. munge
# munged refuses keys/dirs with loose permissions; keep key 0600 munge:munge.
install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge
install -d -o munge -g munge -m 0711 /var/lib/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "creating munge key"; mungekey --create --keyfile=/etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key; chmod 0600 /etc/munge/munge.key
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "munged already running"
else
  runuser -u munge -- /usr/sbin/munged     # daemonizes, writes /run/munge/munged.pid
  wait_for "munged" 10 sh -c 'munge -n | unmunge'
fi

# ---------------------------------------------------------------- 3. configs
NCPU=$(nproc)
MEM_DETECTED=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
MEM=$(( MEM_DETECTED > 3072 ? MEM_DETECTED - 2048 : 1024 ))   # leave headroom

if [ "$MODE" = dbd ]; then
  ACCT_LINES="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=6819
AccountingStorageEnforce=associations"
else
  ACCT_LINES="AccountingStorageType=accounting_storage/none"
fi
GRES_NODE=""; GRES_LINES=""
if [ "$GPUS" -gt 0 ]; then
  GRES_NODE="Gres=gpu:${GPUS}"
  GRES_LINES="GresTypes=gpu"
  # AccountingStorageTRES=gres/gpu is FATAL for slurmctld without slurmdbd
  [ "$MODE" = dbd ] && GRES_LINES="$GRES_LINES
AccountingStorageTRES=gres/gpu"
fi

install -d -o slurm -g slurm -m 0755 /var/lib/slurm/slurmctld /var/lib/slurm/slurmd "$LOGDIR"

NEW_CONF=$(cat <<EOF
# generated by radtune ci/slurm.sh -- single node CI cluster
ClusterName=${CLUSTER}
SlurmctldHost=${H}(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# a requeued job may start again cred_expire + 1 s after it ended (default 120 s): the preemption
# test (tests/test_slurm.py) requeues the training job several times
AuthInfo=cred_expire=10
MpiDefault=none
MailProg=/bin/true
# no cgroups: works in containers/VMs without a delegated cgroup tree
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldLogFile=${LOGDIR}/slurmctld.log
SlurmdLogFile=${LOGDIR}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SchedulerType=sched/backfill
# look at pending jobs every few seconds (default 60 s / 30 s): a requeued training job starts again at once
SchedulerParameters=sched_interval=5,bf_interval=5
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# without DefMemPerCPU a job without --mem gets ALL node memory -> jobs serialize
DefMemPerCPU=500
${GRES_LINES}
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
${ACCT_LINES}
JobCompType=jobcomp/none
# keep finished jobs visible to squeue for 5 min (plugin's squeue mode needs >=120 s)
MinJobAge=300
InactiveLimit=0
KillWait=5
Waittime=0
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=${H} NodeAddr=127.0.0.1 CPUs=${NCPU} RealMemory=${MEM} ${GRES_NODE} State=UNKNOWN
PartitionName=${PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
)
NEW_GRES=$(cat <<EOF
# generated by radtune ci/slurm.sh -- fake GPU(s) on a GPU-less node
AutoDetect=off
EOF
)
# File= is only a placeholder (task/none => no device isolation); one file per
# GPU would be needed for Count>1, so for >1 fake GPUs we give a bare Count.
if [ "$GPUS" -eq 1 ]; then
  NEW_GRES="$NEW_GRES
NodeName=${H} Name=gpu Count=1 File=/dev/null"
elif [ "$GPUS" -gt 1 ]; then
  NEW_GRES="$NEW_GRES
NodeName=${H} Name=gpu Count=${GPUS}"
fi

CHANGED=0
write_if_changed() { # file content mode owner
  if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then
    printf '%s\n' "$2" > "$1"; CHANGED=1; log "wrote $1"
  fi
  chmod "$3" "$1"; chown "$4" "$1"
}
write_if_changed $ETC/slurm.conf "$NEW_CONF" 0644 root:root
write_if_changed $ETC/gres.conf  "$NEW_GRES" 0644 root:root
if [ "$CHANGED" = 1 ]; then
  # config changed: restart slurm daemons that were already running
  stop_pidfile slurmd /run/slurmd.pid; stop_pidfile slurmctld /run/slurmctld.pid
fi

# ---------------------------------------------------------------- 4. accounting (dbd)
if [ "$MODE" = dbd ]; then
  install -d -o mysql -g root -m 0755 /run/mysqld
  if mariadb-admin --socket=/run/mysqld/mysqld.sock ping >/dev/null 2>&1; then
    log "mariadb already running"
  else
    setsid /usr/sbin/mariadbd --user=mysql --pid-file=/run/mysqld/mysqld.pid \
      --socket=/run/mysqld/mysqld.sock --bind-address=127.0.0.1 \
      --innodb-buffer-pool-size=256M --innodb-lock-wait-timeout=900 \
      >/var/log/slurm/mariadb.log 2>&1 </dev/null &
    wait_for "mariadb" 60 mariadb-admin --socket=/run/mysqld/mysqld.sock ping
  fi
  mariadb --socket=/run/mysqld/mysqld.sock -e "
    CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '${DBPASS}';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
  DBD_CONF=$(cat <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=slurm
DebugLevel=info
LogFile=${LOGDIR}/slurmdbd.log
PidFile=/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StoragePort=3306
StorageUser=slurm
StoragePass=${DBPASS}
StorageLoc=slurm_acct_db
EOF
)
  CHANGED=0
  # slurmdbd refuses a slurmdbd.conf that is not 0600 and owned by SlurmUser
  write_if_changed $ETC/slurmdbd.conf "$DBD_CONF" 0600 slurm:slurm
  [ "$CHANGED" = 1 ] && stop_pidfile slurmdbd /run/slurmdbd.pid
  if pid_alive /run/slurmdbd.pid; then
    log "slurmdbd already running"
  else
    drop_stale /run/slurmdbd.pid; /usr/sbin/slurmdbd
  fi
  # sacctmgr only talks to slurmdbd when slurm.conf says accounting_storage/slurmdbd
  wait_for "slurmdbd" 60 sacctmgr -n list cluster
  sacctmgr -n list cluster format=cluster | grep -qw "$CLUSTER" || sacctmgr -i add cluster "$CLUSTER" >/dev/null
  sacctmgr -n list account format=account | grep -qw "$ACCOUNT" || \
    sacctmgr -i add account "$ACCOUNT" Description=ci Organization=ci >/dev/null
  for u in $USERS; do
    sacctmgr -n list assoc user="$u" account="$ACCOUNT" format=user | grep -qw "$u" || \
      sacctmgr -i add user "$u" Account="$ACCOUNT" DefaultAccount="$ACCOUNT" >/dev/null
  done
  log "accounting: cluster=$CLUSTER account=$ACCOUNT users=[$USERS]"
fi

# ---------------------------------------------------------------- 5. slurmctld + slurmd
exec 3>&2   # wait_for silences its probe; fail-fast messages go to fd 3
# judged by process name, not the PID file: the daemon writes that file a moment after it forks, and a
# machine reused after an unclean stop still holds the old file with a dead PID (seen in CI)
ctld_up() { pgrep -x slurmctld >/dev/null || { echo "slurmctld died, log tail:"; tail -5 $LOGDIR/slurmctld.log; exit 1; } >&3; scontrol ping; }
if pid_alive /run/slurmctld.pid; then log "slurmctld already running"; else drop_stale /run/slurmctld.pid; /usr/sbin/slurmctld; fi
wait_for "slurmctld" 30 ctld_up || { tail -5 $LOGDIR/slurmctld.log; exit 1; }
if pid_alive /run/slurmd.pid; then log "slurmd already running"; else drop_stale /run/slurmd.pid; /usr/sbin/slurmd; fi

node_state() { sinfo -h -n "$H" -o %t 2>/dev/null | head -1; }
end=$(( $(date +%s) + 60 ))
while :; do
  s=$(node_state)
  case "$s" in
    idle|mix|alloc) break ;;
    down*|drain*|drng*|fail*) scontrol update NodeName="$H" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  [ "$(date +%s)" -ge "$end" ] && { log "TIMEOUT: node state '$s'"; sinfo -R; tail -20 $LOGDIR/slurmd.log; exit 1; }
  sleep 0.2
done
log "node $H is '$s' -- cluster ready (accounting=$MODE, gpus=$GPUS)"
sinfo
scontrol show node "$H" | grep -E "Gres=|CfgTRES" | sed 's/^ */  /'
echo "TOTAL start-up time: $(ts)"
