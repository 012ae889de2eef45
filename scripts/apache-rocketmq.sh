#!/usr/bin/env bash
# Runs Apache RocketMQ (namesrv + one master broker, from Maven Central) as the reference peer for
# interop and conformance tests. Everything listens on loopback; each start begins with an empty store.
#
#   scripts/apache-rocketmq.sh start|stop|status [--dir DIR]
#
# DIR (default ${TMPDIR:-/tmp}/tern-apache-rocketmq) holds the configs, the store, pid files and logs
# (namesrv.out, broker.out, and the RocketMQ logs under home/logs/rocketmqlogs/).
# Environment (defaults in brackets):
#   APACHE_RMQ_NAMESRV_PORT  namesrv listen port [9876]
#   APACHE_RMQ_BROKER_PORT   broker listen port [10911]; the broker also takes port-2 (VIP) and port+1 (HA)
#   APACHE_RMQ_BIND          address both servers bind to [127.0.0.1]
#   APACHE_RMQ_BROKER_IP     address the broker advertises as brokerIP1 [= APACHE_RMQ_BIND]
#   APACHE_RMQ_BROKER_NAMESRV  namesrv address the broker registers with [APACHE_RMQ_BIND:APACHE_RMQ_NAMESRV_PORT]
#   APACHE_RMQ_HEAP          heap of each JVM [256m]
#   APACHE_RMQ_START_TIMEOUT seconds to wait for each server [90]
#   APACHE_RMQ_JAVA_OPTS     extra JVM options for both servers, e.g. -Drocketmq.serialize.type=ROCKETMQ []
#   APACHE_RMQ_BROKER_CONF_EXTRA  lines appended to broker.conf, e.g. "transactionCheckInterval=5000" []
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/java-tools.sh"

command="${1:-}"
shift || true
dir="${TMPDIR:-/tmp}/tern-apache-rocketmq"
while (($#)); do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

namesrv_port="${APACHE_RMQ_NAMESRV_PORT:-9876}"
broker_port="${APACHE_RMQ_BROKER_PORT:-10911}"
bind="${APACHE_RMQ_BIND:-127.0.0.1}"
broker_ip="${APACHE_RMQ_BROKER_IP:-$bind}"
broker_namesrv="${APACHE_RMQ_BROKER_NAMESRV:-$bind:$namesrv_port}"
heap="${APACHE_RMQ_HEAP:-256m}"
start_timeout="${APACHE_RMQ_START_TIMEOUT:-90}"
lib_dir="$TERN_ROOT/.cache/interop/apache/lib"

fetch_jars() {
  local stamp="$lib_dir/.complete"
  if is_up_to_date "$stamp" "$TERN_ROOT/interop/apache/pom.xml"; then
    return
  fi
  echo "resolving Apache RocketMQ into $lib_dir"
  maven_package_into "$TERN_ROOT/interop/apache" "$lib_dir"
  touch "$stamp"
}

# Pid of a live server of ours (the pid file must name a java process running the expected main class).
live_pid() {
  local name="$1" main="$2" pid
  pid="$(cat "$dir/$name.pid" 2>/dev/null)" || return 1
  [[ -n "$pid" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$main" || return 1
  echo "$pid"
}

port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Starts one JVM in the background; $1 = name, $2 = main class, the rest = program arguments.
launch() {
  local name="$1" main="$2"
  shift 2
  mkdir -p "$dir/home"
  # user.home steers RocketMQ's own log files (home/logs/rocketmqlogs) away from the real home directory.
  # Both JVMs share one classpath, so name each one's logback config (else the namesrv picks the broker's).
  # shellcheck disable=SC2086 # APACHE_RMQ_JAVA_OPTS is a list of options
  nohup java -server "-Xms$heap" "-Xmx$heap" -XX:MaxDirectMemorySize=512m -XX:+UseG1GC \
    -XX:-OmitStackTraceInFastThrow -Xss512k \
    "-Drmq.logback.configurationFile=rmq.$name.logback.xml" \
    -Dlogback.statusListenerClass=org.apache.rocketmq.logging.ch.qos.logback.core.status.NopStatusListener \
    "-Duser.home=$dir/home" "-Drocketmq.home.dir=$dir" "-Djava.io.tmpdir=$dir/tmp" \
    ${APACHE_RMQ_JAVA_OPTS:-} -cp "$lib_dir/*" "$main" "$@" >"$dir/$name.out" 2>&1 </dev/null &
  echo $! >"$dir/$name.pid"
}

# Waits until $5 (a file) contains the line pattern $6 and the server's port accepts connections.
await_ready() {
  local name="$1" main="$2" host="$3" port="$4" log="$5" pattern="$6" deadline=$((SECONDS + start_timeout))
  until grep -q "$pattern" "$log" 2>/dev/null && port_open "$host" "$port"; do
    if ! live_pid "$name" "$main" >/dev/null; then
      echo "error: $name exited during start; last lines of $dir/$name.out:" >&2
      tail -n 30 "$dir/$name.out" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "error: $name not ready on $host:$port within ${start_timeout}s (see $dir/$name.out, $log)" >&2
      exit 1
    fi
    sleep 0.2
  done
}

write_configs() {
  cat >"$dir/namesrv.conf" <<EOF
listenPort=$namesrv_port
bindAddress=$bind
kvConfigPath=$dir/namesrv/kvConfig.json
scanAvailableNameSrv=false
EOF
  cat >"$dir/broker.conf" <<EOF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
namesrvAddr=$broker_namesrv
brokerIP1=$broker_ip
brokerIP2=$broker_ip
bindAddress=$bind
listenPort=$broker_port
storePathRootDir=$dir/store
storePathCommitLog=$dir/store/commitlog
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
enablePropertyFilter=true
mappedFileSizeCommitLog=67108864
diskMaxUsedSpaceRatio=95
${APACHE_RMQ_BROKER_CONF_EXTRA:-}
EOF
}

stop_server() {
  local name="$1" main="$2" pid
  if ! pid="$(live_pid "$name" "$main")"; then
    rm -f "$dir/$name.pid"
    return
  fi
  kill "$pid"
  # The broker's shutdown hook flushes and unregisters; give it a moment before forcing.
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$dir/$name.pid"
  echo "stopped $name (pid $pid)"
}

NAMESRV_MAIN=org.apache.rocketmq.namesrv.NamesrvStartup
BROKER_MAIN=org.apache.rocketmq.broker.BrokerStartup

case "$command" in
  start)
    if live_pid namesrv "$NAMESRV_MAIN" >/dev/null || live_pid broker "$BROKER_MAIN" >/dev/null; then
      echo "error: already running from $dir; stop it first" >&2
      exit 1
    fi
    require_java_and_maven
    fetch_jars
    for port in "$namesrv_port" "$broker_port"; do
      if port_open "$bind" "$port"; then
        echo "error: $bind:$port is already in use" >&2
        exit 1
      fi
    done
    rm -rf "$dir/store" "$dir/namesrv" "$dir/home" "$dir/tmp"
    mkdir -p "$dir/store" "$dir/namesrv" "$dir/tmp"
    write_configs
    started=$SECONDS
    launch namesrv "$NAMESRV_MAIN" -c "$dir/namesrv.conf"
    await_ready namesrv "$NAMESRV_MAIN" "$bind" "$namesrv_port" "$dir/namesrv.out" "boot success"
    launch broker "$BROKER_MAIN" -c "$dir/broker.conf"
    # Clients see no route until the broker has registered; the 5.x broker's first registration at start
    # races its namesrv connection scan and usually waits for the periodic one 10 s later.
    await_ready broker "$BROKER_MAIN" "$bind" "$broker_port" "$dir/home/logs/rocketmqlogs/broker.log" \
      "Registering current broker to name server completed"
    echo "apache rocketmq up in $((SECONDS - started))s: namesrv $bind:$namesrv_port, broker $broker_ip:$broker_port (dir $dir)"
    ;;
  stop)
    stop_server broker "$BROKER_MAIN"
    stop_server namesrv "$NAMESRV_MAIN"
    ;;
  status)
    for name in namesrv broker; do
      main="$NAMESRV_MAIN"; [[ $name == broker ]] && main="$BROKER_MAIN"
      if pid="$(live_pid "$name" "$main")"; then echo "$name running (pid $pid)"; else echo "$name stopped"; fi
    done
    ;;
  *)
    echo "usage: $0 start|stop|status [--dir DIR]" >&2
    exit 2
    ;;
esac
