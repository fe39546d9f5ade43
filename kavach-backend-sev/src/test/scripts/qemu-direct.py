#!/usr/bin/env python3
"""Baseline for the vm backend benchmark: launches a QEMU argv directly, without Kavach.

usage: qemu-direct.py SOCKET_DIR TASK_ARCHIVE QEMU_ARGV...

QEMU_ARGV is what VmBackend.commandLine(request) returns (or `kavach sev dry-run` prints for sev) with the
socket directory placeholder replaced by SOCKET_DIR; TASK_ARCHIVE is TaskArchive.encode(request, null).
QEMU connects to the five channel sockets as a client, so this script listens on them, sends the task,
drains the output ports and prints the agent's status lines and the wall time until QEMU exits.
"""
import os, socket, subprocess, sys, time, threading
sockdir, task = sys.argv[1], open(sys.argv[2], 'rb').read()
argv = sys.argv[3:]
os.makedirs(sockdir, exist_ok=True)
servers = {}
for name in ['qmp', 'task', 'stdout', 'stderr', 'status']:
    path = os.path.join(sockdir, name + '.sock')
    if os.path.exists(path): os.unlink(path)
    s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(1); servers[name] = s
t0 = time.monotonic()
p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
console = []
threading.Thread(target=lambda: console.append(p.stdout.read()), daemon=True).start()
conns = {n: s.accept()[0] for n, s in servers.items()}
conns['task'].sendall(task)
def drain(c):
    while c.recv(65536): pass
for n in ['qmp', 'task', 'stdout', 'stderr']:
    threading.Thread(target=drain, args=(conns[n],), daemon=True).start()
status = b''
while True:
    d = conns['status'].recv(4096)
    if not d: break
    status += d
p.wait()
print('status', status.decode().split(), 'total_ms', int((time.monotonic() - t0) * 1000))
if '-v' in os.environ.get('DIRECT_VERBOSE', ''): print(console[0].decode(errors='replace') if console else '')
