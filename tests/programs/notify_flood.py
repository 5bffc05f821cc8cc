# Sends `STATUS=` lines to its own NOTIFY_SOCKET as fast as the kernel takes
# them: a flooding node, for tests/readiness_forgery.rs and `bench notify-flood`.
# With an argument N it sends from the far end of a chain of N processes below
# the node's main one (each forks the next and becomes a `sleep`), which only
# `NotifyAccess::All` believes, after walking the chain back up; the main
# process says `STATUS=chained` once the chain is built.
import os, socket, sys
address = os.environ["NOTIFY_SOCKET"]
to = "\0" + address[1:] if address.startswith("@") else address
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
depth = int(sys.argv[1]) if len(sys.argv) > 1 else 0
if depth:
    built, chained = os.pipe()
    if os.fork() != 0:
        os.close(chained)
        os.read(built, 1)
        s.sendto(b"STATUS=chained", to)
        os.execvp("sleep", ["sleep", "3600"])
    for _ in range(depth - 1):
        if os.fork() != 0:
            os.execvp("sleep", ["sleep", "3600"])
    os.write(chained, b".")
n = 0
while True:
    s.sendto(b"STATUS=%d" % n, to)
    n += 1
