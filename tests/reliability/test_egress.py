"""Nothing leaves the machine: `paperrag ingest`, `paperrag ask` and `paperrag serve` (with a question asked through
it) run as real processes under strace, once per embedding backend, and any connect or send to an address off this
machine, or any name lookup (DNS on port 53, nscd host requests, resolved or mDNS sockets), fails the test.

The processes get none of the variables that switch libraries off (HF_HUB_OFFLINE, GRADIO_ANALYTICS_ENABLED,
ANONYMIZED_TELEMETRY, ORT_DISABLE_TELEMETRY, ...) and no proxy: PaperRAG has to keep itself offline. onnxruntime's
telemetry (a DNS lookup of mobile.events.data.microsoft.com every few seconds) is what this test was written for;
see rag/offline.py.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import FIXTURES, env_for, free_port, paperrag_cmd, wait_for_server

BACKENDS = ("torch", "onnx", "onnx-int8")
QUESTION = "What does BERT pre-train?"
# How long the server lives: onnxruntime's uploader looked up its host 8.7 s after the session was made (the server
# makes it before it answers), then every 5.5-8 s.
SERVE_SECONDS, AFTER_ANSWER_SECONDS = 20, 12
TRACED = "connect,sendto,sendmsg,sendmmsg"
# What a user's environment may or may not hold; none of it may be needed to stay offline.
SCRUBBED = {
    "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK",
    "GRADIO_ANALYTICS_ENABLED", "ANONYMIZED_TELEMETRY", "ORT_DISABLE_TELEMETRY", "NO_PROXY", "no_proxy",
}
PROXY = re.compile(r"^(http|https|all|ftp|socks)_proxy$", re.I)
# nscd request types that look up hosts (glibc nscd/nscd-client.h): GETHOSTBYNAME(v6), GETHOSTBYADDR(v6), GETAI.
NSCD_HOST_REQUESTS = {4: "GETHOSTBYNAME", 5: "GETHOSTBYNAMEv6", 6: "GETHOSTBYADDR", 7: "GETHOSTBYADDRv6", 14: "GETAI"}
# Sockets that exist only to resolve names.
RESOLVER_SOCKETS = ("/run/systemd/resolve/", "avahi-daemon/socket")


def strace_or_skip() -> list[str]:
    """The strace command line (with seccomp-bpf filtering where it works: far less overhead), or a skip."""
    exe = shutil.which("strace")
    if not exe:
        pytest.skip("strace is not installed (`apt-get install -y strace`; .ci/run and `make test` install it)")
    base = [exe, "-f", "-qq", "-x", "-yy", "-s", "512", "-e", f"trace={TRACED}"]
    for extra in (["--seccomp-bpf"], []):
        probe = subprocess.run([*base, *extra, "-o", os.devnull, "true"], capture_output=True, text=True)
        if probe.returncode == 0:
            return base + extra
    pytest.skip(f"strace cannot trace here (ptrace not permitted?): {probe.stderr.strip()[:200]}")


# ----- reading strace's output ----------------------------------------------------------------------------------
@dataclass
class Egress:
    """What one traced process tree sent off loopback: each finding once, with how often it happened."""

    findings: dict[str, int] = field(default_factory=dict)
    nscd_connects: int = 0  # user and group lookups use nscd too (torch asks for the user name): not counted as DNS

    def add(self, what: str) -> None:
        self.findings[what] = self.findings.get(what, 0) + 1

    @property
    def queries(self) -> int:
        """DNS queries sent (an A and an AAAA query per name looked up)."""
        return sum(n for what, n in self.findings.items() if what.startswith("DNS query"))

    def __str__(self) -> str:
        return "; ".join(f"{what} (x{n})" for what, n in self.findings.items()) or "nothing"


LINE = re.compile(r"^(\d+)\s+(?:[\d:.]+\s+)?(connect|sendto|sendmsg|sendmmsg)\((\d+)(.*)$")  # pid [time] call(fd
INET = re.compile(r'sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)')
INET6 = re.compile(r'sin6_port=htons\((\d+)\).*?inet_pton\(AF_INET6, "([^"]+)"')
# -yy shows a connected socket's ends after its fd: 9<UDP:[10.0.0.2:40312->10.255.255.53:53]>
PEER = re.compile(r"^<(?:TCP|UDP|UDPLITE|SCTP)(?:v6)?:\[[^\]>]*->\[?([0-9a-fA-F.:]+?)\]?:(\d+)\]>")
UNIX_PATH = re.compile(r'sun_path=@?"((?:[^"\\]|\\.)*)"')
QUOTED = r'"((?:[^"\\]|\\.)*)"'
SENT = re.compile(r"^(?:<.*?\]>)?, " + QUOTED)  # sendto's buffer, after the fd's -yy annotation
IOV = re.compile(r"iov_base=" + QUOTED)  # sendmsg's and sendmmsg's


def unescape(text: str) -> bytes:
    """The bytes of a string as strace prints it with -x (\\xNN, C escapes, octal)."""
    out, i = bytearray(), 0
    simple = {"n": 10, "t": 9, "r": 13, "v": 11, "f": 12, "a": 7, "b": 8, '"': 34, "\\": 92, "'": 39}
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 == len(text):
            out += c.encode()
            i += 1
        elif text[i + 1] == "x":
            out.append(int(text[i + 2 : i + 4], 16))
            i += 4
        elif text[i + 1] in simple:
            out.append(simple[text[i + 1]])
            i += 2
        else:
            digits = re.match(r"[0-7]{1,3}", text[i + 1 :])
            if not digits:
                out += text[i + 1].encode()
                i += 2
                continue
            out.append(int(digits.group(0), 8) & 0xFF)
            i += 1 + len(digits.group(0))
    return bytes(out)


def dns_question(payload: bytes) -> str:
    """The name and type of a DNS query ('?' when the payload is cut short or not DNS)."""
    labels, i = [], 12
    while i < len(payload) and payload[i] and payload[i] < 64:
        labels.append(payload[i + 1 : i + 1 + payload[i]].decode("ascii", "replace"))
        i += 1 + payload[i]
    qtype = int.from_bytes(payload[i + 1 : i + 3], "big") if i + 3 <= len(payload) else 0
    return " ".join([".".join(labels) or "?"] + ([{1: "A", 28: "AAAA"}.get(qtype, f"type {qtype}")] if qtype else []))


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def read_egress(trace: Path) -> Egress:
    """Every connect or send in an `strace -f -x -yy` log that goes to an address off loopback, to port 53 on any
    address, to a resolver's socket, or that asks nscd for a host."""
    egress, nscd_fds = Egress(), set()
    for line in trace.read_text(errors="replace").splitlines():
        m = LINE.match(line)
        if not m:
            continue
        pid, call, fd, rest = m.groups()
        sent = SENT.match(rest) if call == "sendto" else IOV.search(rest)
        payload = unescape(sent.group(1)) if sent else b""
        targets = [(a, int(p)) for p, a in INET.findall(rest) + INET6.findall(rest)]
        targets += [(a, int(p)) for a, p in PEER.findall(rest)]
        for address, port in dict.fromkeys(targets):
            if port == 53:
                egress.add(f"DNS connect to {address}:53" if call == "connect"
                           else f"DNS query for {dns_question(payload)} to {address}:53")
            elif not is_loopback(address):
                egress.add(f"{call} to {address}:{port}")
        if call == "connect":
            nscd_fds.discard((pid, fd))
            path = UNIX_PATH.search(rest)
            where = unescape(path.group(1)).decode(errors="replace") if path else ""
            if "nscd" in where:
                egress.nscd_connects += 1
                nscd_fds.add((pid, fd))
            elif any(s in where for s in RESOLVER_SOCKETS):
                egress.add(f"DNS connect to the resolver socket {where}")
        elif (pid, fd) in nscd_fds and len(payload) >= 12:  # request: version, type, key length, key (int32 LE)
            kind = int.from_bytes(payload[4:8], "little")
            if kind in NSCD_HOST_REQUESTS:
                key = payload[12:].split(b"\0")[0].decode(errors="replace")
                egress.add(f"DNS nscd {NSCD_HOST_REQUESTS[kind]} {key}")
    return egress


# ----- running the commands -------------------------------------------------------------------------------------
def offline_env(tmp_path: Path, backend: str) -> dict[str, str]:
    """A `paperrag` environment with the store in `tmp_path`, the given backend, and no switch or proxy that could
    keep a library offline on PaperRAG's behalf (a proxy would also turn a lookup into a loopback connect), and a cache
    folder of its own, where onnxruntime's telemetry would keep its device id and unsent events."""
    env = env_for(tmp_path, PAPERRAG_EMBEDDING__BACKEND=backend, XDG_CACHE_HOME=str(tmp_path / "xdg-cache"))
    return {k: v for k, v in env.items() if k not in SCRUBBED and not PROXY.match(k)}


def stop_traced(proc: subprocess.Popen) -> None:
    """Stop the program strace started in a session of its own (strace then writes its log and exits); anything
    left in that session is killed."""
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        try:
            os.kill(int(child), signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("backend", BACKENDS)
def test_ingest_ask_and_serve_send_nothing_off_this_machine(backend, tmp_path):
    strace = strace_or_skip()
    env = offline_env(tmp_path, backend)
    cmd = paperrag_cmd()
    run = lambda name, *args: subprocess.run(  # noqa: E731
        [*strace, "-o", str(tmp_path / f"{name}.trace"), "--", *cmd, *args],
        env=env, capture_output=True, text=True, cwd=tmp_path, timeout=240,
    )

    out = run("ingest", "ingest", "--quiet", str(FIXTURES / "papers.jsonl"))
    assert out.returncode == 0, out.stderr

    port, started = free_port(), time.time()
    with (tmp_path / "serve.err").open("w") as err:
        serve = subprocess.Popen(
            [*strace, "-o", str(tmp_path / "serve.trace"), "--", *cmd, "serve", "--no-ingest", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=tmp_path, start_new_session=True,
        )
        try:
            out = run("ask", "ask", "--json", QUESTION)  # while the server loads: the same time spent once
            assert out.returncode == 0 and '"answer"' in out.stdout, out.stderr

            from gradio_client import Client

            url = f"http://127.0.0.1:{port}/"
            wait_for_server(serve, lambda: Client(url, verbose=False), 180, "paperrag serve")
            answer = Client(url, verbose=False).predict(QUESTION, api_name="/ask")
            assert isinstance(answer, dict) and answer.get("answer"), answer
            time.sleep(max(SERVE_SECONDS - (time.time() - started), AFTER_ANSWER_SECONDS))
            assert serve.poll() is None, (tmp_path / "serve.err").read_text()[-2000:]
        finally:
            stop_traced(serve)

    found = {name: read_egress(tmp_path / f"{name}.trace") for name in ("ingest", "ask", "serve")}
    sent = {name: str(e) for name, e in found.items() if e.findings}
    assert not sent, f"backend {backend}: traffic off this machine: {sent}"
    # Telemetry that is on but has not sent yet (a short `ask` ends before onnxruntime's first upload) leaves this.
    store = tmp_path / "xdg-cache" / "Microsoft"
    assert not store.exists(), f"backend {backend}: onnxruntime telemetry is on: it wrote {sorted(store.rglob('*'))}"


# Lines as strace 6.1 writes them here (`-f -x -yy`, optional -ttt), the first three from onnxruntime's telemetry.
SAMPLE = r"""
13462 connect(40<UNIX-STREAM:[52394]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)
13462 1796218298.543337 connect(40<UDP:[52401]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0
13462 sendto(40<UDP:[192.0.2.2:49275->10.255.255.53:53]>, "\xda\x48\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x06\x6d\x6f\x62\x69\x6c\x65\x06\x65\x76\x65\x6e\x74\x73\x04\x64\x61\x74\x61\x09\x6d\x69\x63\x72\x6f\x73\x6f\x66\x74\x03\x63\x6f\x6d\x00\x00\x1c\x00\x01", 50, MSG_NOSIGNAL, NULL, 0) = 50
13365 connect(44<TCP:[52368]>, {sa_family=AF_INET, sin_port=htons(53985), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
13365 sendto(44<TCP:[127.0.0.1:55510->127.0.0.1:53985]>, "GET / HTTP/1.1\r\n", 16, 0, NULL, 0) = 16
13365 connect(45<TCPv6:[52369]>, {sa_family=AF_INET6, sin6_port=htons(7860), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0
13365 connect(46<TCPv6:[52370]>, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2606:4700::6810:84e5", &sin6_addr), sin6_scope_id=0}, 28 <unfinished ...>
13370 connect(7<TCP:[52371]>, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("140.82.112.3")}, 16) = -1 EINPROGRESS (Operation now in progress)
13370 sendmsg(8<UDP:[52372]>, {msg_name={sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("8.8.8.8")}, msg_namelen=16, msg_iov=[{iov_base="\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07\x65\x78\x61\x6d\x70\x6c\x65\x03\x6f\x72\x67\x00\x00\x01\x00\x01", iov_len=29}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 29
13371 connect(3<UNIX-STREAM:[52380]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = 0
13371 sendto(3<UNIX-STREAM:[52380->52381]>, "\x02\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x72\x6f\x6f\x74\x00", 17, MSG_NOSIGNAL, NULL, 0) = 17
13372 connect(3<UNIX-STREAM:[52382]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = 0
13372 sendto(3<UNIX-STREAM:[52382->52383]>, "\x02\x00\x00\x00\x0e\x00\x00\x00\x0c\x00\x00\x00example.org\0", 24, MSG_NOSIGNAL, NULL, 0) = 24
13373 connect(5<UNIX-STREAM:[52384]>, {sa_family=AF_UNIX, sun_path="/run/systemd/resolve/io.systemd.Resolve"}, 42) = 0
13374 connect(6<UDP:[52385]>, {sa_family=AF_UNSPEC, sa_data="\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}, 16) = 0
"""


def test_the_trace_reader_finds_lookups_and_remote_traffic_and_nothing_else(tmp_path):
    trace = tmp_path / "sample.trace"
    trace.write_text(SAMPLE.strip() + "\n")
    egress = read_egress(trace)
    assert egress.findings == {
        "DNS connect to 10.255.255.53:53": 1,
        "DNS query for mobile.events.data.microsoft.com AAAA to 10.255.255.53:53": 1,
        "connect to 2606:4700::6810:84e5:443": 1,
        "connect to 140.82.112.3:443": 1,
        "DNS query for example.org A to 8.8.8.8:53": 1,
        "DNS nscd GETAI example.org": 1,
        "DNS connect to the resolver socket /run/systemd/resolve/io.systemd.Resolve": 1,
    }
    assert egress.queries == 2 and egress.nscd_connects == 3  # the user lookup over nscd (GETPWBYNAME) is no finding
