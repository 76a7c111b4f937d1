#!/usr/bin/env bash
# Start (or stop) a real standalone Spark cluster on 127.0.0.1 from the installed pyspark:
# one master and two 1-core workers. Usage: .ci/cluster.sh start DIR | .ci/cluster.sh stop DIR
# DIR keeps the logs and the PID files; `stop` kills exactly those PIDs.
set -euo pipefail
action="$1"
dir="$(mkdir -p "$2" && cd "$2" && pwd)"
SPARK_HOME="$(python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
export SPARK_HOME SPARK_LOCAL_IP=127.0.0.1 SPARK_NO_DAEMONIZE=1
class=org.apache.spark.deploy

start_one() {  # name, then the arguments of spark-class
  local name="$1"; shift
  "$SPARK_HOME/bin/spark-class" "$@" >"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}

wait_for() {  # a line in a log, within 60 s
  for _ in $(seq 120); do
    grep -q "$2" "$dir/$1.log" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "cluster: $1 did not start; its log:" >&2
  tail -n 30 "$dir/$1.log" >&2
  return 1
}

case "$action" in
  start)
    start_one master $class.master.Master --host 127.0.0.1 --port 7077 --webui-port 8090
    wait_for master "Starting Spark master"
    for i in 1 2; do
      start_one "worker$i" $class.worker.Worker --host 127.0.0.1 --cores 1 --memory 3g \
        --webui-port $((8090 + i)) --work-dir "$dir/work$i" spark://127.0.0.1:7077
    done
    wait_for worker1 "Successfully registered with master"
    wait_for worker2 "Successfully registered with master"
    echo "cluster: spark://127.0.0.1:7077 with 2 workers of 1 core (logs in $dir)"
    ;;
  stop)
    for name in worker1 worker2 master; do
      if [ -f "$dir/$name.pid" ]; then
        kill "$(cat "$dir/$name.pid")" 2>/dev/null || true
        rm -f "$dir/$name.pid"
      fi
    done
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
