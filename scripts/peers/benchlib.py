"""Shared helpers of scripts/bench-vs-limit and scripts/bench-peers.

Both are run by hand (never by CI or scripts/test). Python 3 standard library only. Everything they
install or write goes under target/peers/ (the cache), so a fresh clone needs only the package
registries.
"""

import datetime
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "target" / "peers"
DATA = CACHE / "data"
PLAIN_ENGLISH = ROOT.parent / "shared" / "corpora" / "plain-english"
JOURNAL_DIR = ROOT / "corpora" / "dev"
MB = 1_000_000  # sizes in these scripts are decimal: 1 MB = 10^6 bytes


def log(*parts):
    print("==>", *parts, file=sys.stderr, flush=True)


def be_nice():
    """The machine is shared: run this process and everything it starts at niceness 10."""
    current = os.nice(0)
    if current < 10:
        os.nice(10 - current)


def today():
    return datetime.date.today().isoformat()


# ---------------------------------------------------------------------------------------------
# installing tools


_apt_updated = False


def apt_install(package):
    """`apt-get install -y PACKAGE` (after one `apt-get update`), when we are root with apt-get.
    Returns None on success, else the reason it could not be done."""
    global _apt_updated
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine"
    if os.geteuid() != 0:
        return "apt-get needs root"
    if not _apt_updated:
        log("apt-get update")
        if subprocess.run(["apt-get", "update", "-qq"], stdout=subprocess.DEVNULL).returncode != 0:
            return "apt-get update failed"
        _apt_updated = True
    log(f"apt-get install -y {package}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "-qq", package], env=env,
                       stdout=subprocess.DEVNULL)
    return None if r.returncode == 0 else f"apt-get install {package} failed (exit {r.returncode})"


def ensure_binary(binary, apt_package=None):
    """Path of BINARY, installing APT_PACKAGE from Debian when it is missing.
    Returns (path or None, note)."""
    found = shutil.which(binary)
    if found:
        return found, "already installed"
    if apt_package:
        why = apt_install(apt_package)
        found = shutil.which(binary)
        if found:
            return found, f"installed with apt-get ({apt_package})"
        return None, why or f"{apt_package} installed no {binary}"
    return None, "not installed"


def cargo_install(crate, version, binary):
    """`cargo install --root target/peers/cargo CRATE --version VERSION` unless that version is
    already there (--locked first, then without it). Returns (path or None, note)."""
    root = CACHE / "cargo"
    path = root / "bin" / binary
    if path.exists():
        v = subprocess.run([str(path), "--version"], capture_output=True, text=True).stdout
        if version in v.split("\n")[0]:
            return path, "already installed"
    if shutil.which("cargo") is None:
        return None, "no cargo on this machine"
    base = ["cargo", "install", "--root", str(root), crate, "--version", version]
    log(" ".join(base + ["--locked"]))
    if subprocess.run(base + ["--locked"]).returncode != 0:
        log(" ".join(base))
        if subprocess.run(base).returncode != 0:
            return None, f"cargo install {crate} --version {version} failed"
    return path, f"installed with cargo install {crate} --version {version}"


def build_kindly():
    """`cargo build --release`, then a private copy of the binary under target/peers/bin, so that
    a rebuild by someone else during the run cannot swap the program being timed. With
    KINDLY_BIN=target/peers/bin/kindly the copy from an earlier run is timed again (no build),
    so that both scripts can time the very same binary. Returns (path, version description)."""
    dst = CACHE / "bin" / "kindly"
    note = dst.with_name("kindly.version")
    given = os.environ.get("KINDLY_BIN")
    if given and Path(given).resolve() == dst.resolve() and note.exists():
        log(f"timing {dst} from an earlier run (KINDLY_BIN)")
        return dst, note.read_text().strip()
    if given:
        src, version = Path(given), None
    else:
        log("cargo build --release --locked --bin kindly")
        subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "kindly"], cwd=ROOT,
                       check=True)
        target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        src = target_dir / "release" / "kindly"
        version = _git_version()
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not (dst.exists() and src.resolve() == dst.resolve()):
        shutil.copy2(src, dst)
    out = subprocess.run([str(dst), "--version"], capture_output=True, text=True).stdout.strip()
    version = f"{out} ({version or f'binary from KINDLY_BIN={given}'})"
    note.write_text(version + "\n")
    return dst, version


def _git_version():
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                         text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "rules", "Cargo.toml",
                            "Cargo.lock", "build.rs"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return f"git {rev}{' with uncommitted changes to src/rules' if dirty else ''}"


# ---------------------------------------------------------------------------------------------
# texts


_WORDS = (
    "the of and to a in that it was he she his her they we you I had with for as at on but not be "
    "by from this have which one all were there when would their been said so what if no some into "
    "could them then more time up out about like only over very after little upon before did made "
    "well down should any now must great these other such good two first much know than may see "
    "never again how come long own through most where man house day old morning evening letter "
    "garden road river town window table door family friend sister brother father mother walk "
    "answer thought felt looked seemed heard returned replied believe hope wish leave give take"
).split()


def generated_prose(n_bytes, seed=20240611):
    """Deterministic English-like prose (sentences and paragraphs from common words), used when
    the plain-English corpus is missing. Not comparable in absolute terms to the real corpus."""
    rng = random.Random(seed)
    paragraphs, size = [], 0
    while size < n_bytes:
        sentences = []
        for _ in range(rng.randint(2, 7)):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(5, 24))]
            if rng.random() < 0.4:
                words.insert(rng.randint(1, len(words) - 1), words.pop() + ",")
            s = " ".join(words)
            sentences.append(s[0].upper() + s[1:] + rng.choice(".....?!"))
        p = " ".join(sentences)
        paragraphs.append(p)
        size += len(p) + 2
    return "\n\n".join(paragraphs).encode()


def prose_text():
    """Ordinary English prose, as the criterion benches read it: every
    ../shared/corpora/plain-english/*.txt except LICENSE*, sorted by name, byte-order marks
    stripped, joined with a blank line. Returns (bytes, description)."""
    files = []
    if PLAIN_ENGLISH.is_dir():
        files = sorted(p for p in PLAIN_ENGLISH.glob("*.txt")
                       if not p.name.upper().startswith("LICENSE"))
    if files:
        texts = [p.read_text(encoding="utf-8").lstrip("\ufeff") for p in files]
        text = "\n\n".join(texts).encode()
        if len(text) >= MB:
            names = ", ".join(p.name for p in files)
            return text, f"../shared/corpora/plain-english ({names})"
    log(f"{PLAIN_ENGLISH} is missing (or under 1 MB): using generated prose instead")
    return generated_prose(int(1.75 * MB)), "generated English-like prose (corpus folder missing)"


def journal_text():
    """Dense journal text: the `text` of every line of corpora/dev/*.jsonl, round-robin over the
    files (as benches/engine.rs does), joined with a blank line."""
    per_file = []
    for f in sorted(JOURNAL_DIR.glob("*.jsonl")):
        rows = [json.loads(line)["text"] for line in f.read_text(encoding="utf-8").splitlines()
                if line.strip()]
        per_file.append(rows)
    texts = []
    for i in range(max((len(r) for r in per_file), default=0)):
        texts.extend(r[i] for r in per_file if i < len(r))
    return "\n\n".join(texts).encode()


def cut_at_line(data, n_bytes):
    """The longest prefix of DATA of at most N_BYTES bytes that ends with a newline (so it never
    splits a character or a word); repeats DATA first when it is shorter than N_BYTES."""
    while len(data) < n_bytes:
        data = data + b"\n\n" + data
    head = data[:n_bytes]
    nl = head.rfind(b"\n")
    return head[: nl + 1] if nl > 0 else head


def write_if_changed(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return path


def human_size(n):
    return f"{n / MB:.2f} MB" if n >= MB else f"{n / 1000:.1f} KB"


# ---------------------------------------------------------------------------------------------
# machine


def machine_description():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB memory"
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, Linux {platform.release()}"


def load_average():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# ---------------------------------------------------------------------------------------------
# timing


def run_once(cmd, cwd=None, stdout=None, stderr=None, timeout=None, env=None):
    """Runs CMD once. stdout/stderr: a Path to write to, or None for /dev/null.
    Returns {wall, cpu, rc, timed_out}: wall-clock seconds from just before the fork to the
    reaping of the process, and its user+system CPU seconds (from wait4). (wait4's peak memory is
    left out: it includes this Python process's memory at the fork.)"""
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL
    err = open(stderr, "wb") if stderr else subprocess.DEVNULL
    timed_out = threading.Event()
    try:
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, env=env, start_new_session=True)
        timer = None
        if timeout:
            def kill():
                timed_out.set()
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            timer = threading.Timer(timeout, kill)
            timer.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if timer:
            timer.cancel()
        rc = os.waitstatus_to_exitcode(status)
        proc.returncode = rc
    finally:
        for f in (out, err):
            if f is not subprocess.DEVNULL:
                f.close()
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rc": rc,
            "timed_out": timed_out.is_set()}


class Tool:
    """One command to time. `ok` is the set of exit codes that mean a normal run (linters exit
    non-zero when they find something). Output goes to files under target/peers/out/ when
    `keep_output` is set (to count findings after the run), else to /dev/null."""

    def __init__(self, name, cmd, cwd=None, ok=(0,), keep_output=False, display=None,
                 timeout=None, max_runs=None, after_run=None):
        self.name, self.cmd, self.cwd, self.ok = name, cmd, cwd, set(ok)
        self.display = display or " ".join(str(c) for c in cmd)
        self.timeout, self.max_runs, self.after_run = timeout, max_runs, after_run
        self.keep_output = keep_output
        self.samples = []  # dicts from run_once (plus whatever after_run adds)
        self.failure = None

    def out_paths(self, tag):
        if not self.keep_output:
            return None, None
        d = CACHE / "out"
        d.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-." else "_" for c in f"{self.name}-{tag}")
        return d / f"{safe}.stdout", d / f"{safe}.stderr"

    def done(self):
        return self.failure is not None or (self.max_runs is not None
                                            and len(self.samples) >= self.max_runs)

    def run(self, tag, record=True):
        o, e = self.out_paths(tag)
        r = run_once(self.cmd, cwd=self.cwd, stdout=o, stderr=e, timeout=self.timeout)
        if r["timed_out"]:
            self.failure = f"killed after {self.timeout:.0f} s"
        elif r["rc"] not in self.ok:
            last = ""
            if e and e.exists():
                lines = e.read_text(errors="replace").strip().splitlines()
                last = f": {lines[-1][:200]}" if lines else ""
            self.failure = f"exit code {r['rc']}{last}"
        elif record:
            if self.after_run:
                self.after_run(self, r, o, e)
            self.samples.append(r)
        return r

    def median(self, key="wall"):
        return statistics.median(s[key] for s in self.samples) if self.samples else None

    def minimum(self, key="wall"):
        return min(s[key] for s in self.samples) if self.samples else None


def alternate(rounds, schedule, tag, warmup=()):
    """Runs the tools in SCHEDULE(round_index) -> [Tool, ...] for ROUNDS rounds, one run each in
    that order, skipping tools that are done or failed. WARMUP tools are run once, untimed, first
    (page cache, JIT caches). Progress goes to stderr."""
    for t in warmup:
        if not t.done():
            t.run(tag, record=False)
    for i in range(rounds):
        line = []
        for t in schedule(i):
            if t.done():
                continue
            r = t.run(tag)
            line.append(f"{t.name} {fmt_s(r['wall'])}" + ("" if not t.failure else " FAILED"))
        if line:
            log(f"{tag} round {i + 1}/{rounds}: " + ", ".join(line))


def median_of(samples, key):
    values = [s[key] for s in samples if key in s]
    return statistics.median(values) if values else None


def fmt_s(seconds):
    if seconds is None:
        return "–"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def fmt_ratio(x):
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:,.0f}x"
    if x >= 10:
        return f"{x:.1f}x"
    return f"{x:.2f}x"


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def write_fragment(name, text):
    path = CACHE / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
