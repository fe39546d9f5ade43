#!/bin/sh
# The baseline of the vm figure: runs one QEMU command line exactly as given (the vm backend's own, from
# Sandbox.commandLine), with the same kernel and initramfs, from a shell instead of through Kavach. The
# five channel sockets that command line connects to are served by socat, as the backend serves them:
# the task archive goes in on task.sock (kept open, as the backend does), stdout, stderr and status come
# out into files, the QMP monitor is read and dropped. Prints the agent's "exit N" status line and
# "qemu-ns N", QEMU's own wall time (the strict baseline: without socat's start-up, which serves the
# channels here but is not QEMU's work).
#
# usage: qemu-direct.sh CHANNEL_DIR TASK_ARCHIVE QEMU [ARGS...]
set -eu
dir=$1 task=$2
shift 2
socat -u UNIX-LISTEN:"$dir/qmp.sock" OPEN:/dev/null &
qmp=$!
socat -u OPEN:"$task",ignoreeof UNIX-LISTEN:"$dir/task.sock" &
feed=$!
socat -u UNIX-LISTEN:"$dir/stdout.sock" CREATE:"$dir/stdout" &
socat -u UNIX-LISTEN:"$dir/stderr.sock" CREATE:"$dir/stderr" &
socat -u UNIX-LISTEN:"$dir/status.sock" CREATE:"$dir/status" &
for s in qmp task stdout stderr status; do
  while [ ! -S "$dir/$s.sock" ]; do sleep 0.002; done
done
status=0
start=$(date +%s%N)
"$@" </dev/null >"$dir/console" 2>&1 || status=$?
end=$(date +%s%N)
kill "$feed" "$qmp" 2>/dev/null || true
wait
if [ "$status" -ne 0 ]; then
  echo "qemu exited $status; console:" >&2
  tail -n 20 "$dir/console" >&2
  exit 1
fi
grep '^exit ' "$dir/status"
echo "qemu-ns $((end - start))"
