# A node of a pid scope that floods its NOTIFY_SOCKET with MAINPID= claims of
# a pid nobody has (each is looked up in every process's /proc/PID/status):
# for `bench notify-flood --mainpid-sleepers N`. It first starts N sleepers
# (more processes for each lookup to read), then says STATUS=flooding.
import os, socket, sys
for _ in range(int(sys.argv[1])):
    os.posix_spawn("/bin/sleep", ["sleep", "3600"], os.environ)
address = os.environ["NOTIFY_SOCKET"]
to = "\0" + address[1:] if address.startswith("@") else address
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"STATUS=flooding", to)
while True:
    s.sendto(b"MAINPID=99999", to)
