# Sends `STATUS=` lines to its own NOTIFY_SOCKET as fast as the kernel takes
# them: a flooding node, for tests/readiness_forgery.rs and `bench notify-flood`.
import os, socket
address = os.environ["NOTIFY_SOCKET"]
to = "\0" + address[1:] if address.startswith("@") else address
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n = 0
while True:
    s.sendto(b"STATUS=%d" % n, to)
    n += 1
