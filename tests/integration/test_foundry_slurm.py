"""`exaone foundry slurm` on a real Slurm cluster: a one-node cluster on localhost (slurmctld and
slurmd started from a temporary folder with a generated slurm.conf, on free ports) runs the
generated job scripts through their submit.sh; the output is byte-identical to the local
executor's with the same task count.

Needs root (the daemons run as SlurmUser=root) and Debian's slurmctld, slurmd and slurm-client
(scripts/setup.sh installs them); skipped otherwise. Authentication is auth/none where this Slurm
has the plugin (22.05 does), else a munged started in the temporary folder with its own key;
EXAONE_SLURM_AUTH=munge forces the latter."""
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from test_foundry import digest, foundry, make_inputs, write_recipe

DAEMONS = ["slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "scancel"]
# Where Slurm installations keep their plugins (Debian's first).
PLUGIN_DIRS = ["/usr/lib/*/slurm-wlm", "/usr/lib/*/slurm", "/usr/lib64/slurm", "/usr/lib/slurm",
               "/usr/local/lib/slurm"]


def missing_tools():
    missing = [t for t in DAEMONS if not shutil.which(t)]
    if os.environ.get("EXAONE_SLURM_AUTH") == "munge" or not auth_none_available():
        missing += [t for t in ["munged", "mungekey"] if not shutil.which(t)]
    return missing


def auth_none_available():
    return any(glob.glob(f"{d}/auth_none.so") for d in PLUGIN_DIRS)


pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="a local Slurm cluster needs root "
                       "(SlurmUser=root)"),
    pytest.mark.skipif(bool(missing_tools()), reason="Slurm is not installed (missing: "
                       f"{' '.join(missing_tools())}; scripts/setup.sh installs it)"),
]


def free_ports(n):
    """n distinct TCP ports that nothing listens on now (held together so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Cluster:
    def __init__(self, folder):
        self.folder = folder
        self.env = {**os.environ, "SLURM_CONF": str(folder / "slurm.conf")}
        self.procs = []

    def cmd(self, *args, check=True, timeout=30):
        r = subprocess.run(list(map(str, args)), capture_output=True, text=True, env=self.env,
                           timeout=timeout)
        if check:
            assert r.returncode == 0, f"{' '.join(map(str, args))}: {r.stderr}\n{self.logs()}"
        return r

    def start(self, name, *args):
        log = open(self.folder / f"{name}.out", "w")
        p = subprocess.Popen(list(map(str, args)), stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=self.env)
        log.close()
        self.procs.append((name, p))
        return p

    def logs(self, tail=4000):
        """The end of every daemon log, for failure messages."""
        out = []
        for f in sorted(self.folder.glob("*.log")) + sorted(self.folder.glob("*.out")):
            text = f.read_text(errors="replace")
            out.append(f"--- {f.name}\n{text[-tail:]}")
        return "\n".join(out)

    def stop(self):
        # Jobs first: a running job's slurmstepd outlives slurmd.
        try:
            jobs = self.cmd("squeue", "-h", "-o", "%A", check=False, timeout=10).stdout.split()
            if jobs:
                self.cmd("scancel", *sorted(set(jobs)), check=False, timeout=10)
                deadline = time.time() + 10
                while time.time() < deadline and self.cmd(
                        "squeue", "-h", check=False, timeout=10).stdout.strip():
                    time.sleep(0.2)
        except (subprocess.SubprocessError, OSError):
            pass
        for _, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for _, p in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def node_line():
    """This machine as `slurmd -C` sees it: NodeName, CPUs, sockets, cores, RealMemory."""
    r = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True, timeout=30)
    line = r.stdout.splitlines()[0]
    fields = dict(f.split("=", 1) for f in line.split())
    return fields["NodeName"], line


def write_conf(folder, munge_socket):
    node, line = node_line()
    ctld_port, slurmd_port = free_ports(2)
    auth = ["AuthType=auth/none", "CredType=cred/none"]
    if munge_socket:
        auth = ["AuthType=auth/munge", "CredType=cred/munge",
                f"AuthInfo=socket={munge_socket}"]
    conf = [
        "ClusterName=foundrytest",
        f"SlurmctldHost={node}(127.0.0.1)",
        f"SlurmctldPort={ctld_port}",
        f"SlurmdPort={slurmd_port}",
        "SlurmUser=root",
        "SlurmdUser=root",
        *auth,
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "JobCompType=jobcomp/none",
        "MpiDefault=none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU",
        "SchedulerType=sched/builtin",
        # Jobs start as soon as their dependencies end (batch jobs wait 3 s by default).
        "SchedulerParameters=batch_sched_delay=0",
        # A failed job cancels the jobs that depend on it, so the queue always drains.
        "DependencyParameters=kill_invalid_depend",
        # Finished jobs stay visible to scontrol long enough to check their states.
        "MinJobAge=900",
        "ReturnToService=2",
        f"StateSaveLocation={folder}/state",
        f"SlurmdSpoolDir={folder}/spool",
        f"SlurmctldPidFile={folder}/slurmctld.pid",
        f"SlurmdPidFile={folder}/slurmd.pid",
        f"SlurmctldLogFile={folder}/slurmctld.log",
        f"SlurmdLogFile={folder}/slurmd.log",
        f"{line} NodeAddr=127.0.0.1 State=UNKNOWN",
        # Several jobs share a CPU, so every array element runs at once even on two cores.
        "PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4",
    ]
    (folder / "slurm.conf").write_text("\n".join(conf) + "\n")


@pytest.fixture
def slurm(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slurm")
    for d in ["state", "spool"]:
        (folder / d).mkdir()
    cluster = Cluster(folder)
    try:
        munge_socket = None
        if os.environ.get("EXAONE_SLURM_AUTH") == "munge" or not auth_none_available():
            munge_socket = folder / "munge" / "munge.socket"
            munge_socket.parent.mkdir(mode=0o755)
            key = folder / "munge" / "munge.key"
            subprocess.run(["mungekey", "--create", f"--keyfile={key}"], check=True,
                           capture_output=True, timeout=30)
            # --force: the temporary folder's parents (/tmp) are writable by everyone.
            cluster.start("munged", "munged", "--foreground", "--force",
                          f"--socket={munge_socket}", f"--key-file={key}",
                          f"--log-file={folder}/munged.log",
                          f"--pid-file={folder}/munge/munged.pid",
                          f"--seed-file={folder}/munge/munged.seed")
            deadline = time.time() + 20
            while not munge_socket.exists():
                assert time.time() < deadline, f"munged did not start\n{cluster.logs()}"
                time.sleep(0.1)
        write_conf(folder, munge_socket)
        cluster.start("slurmctld", "slurmctld", "-D", "-c")
        cluster.start("slurmd", "slurmd", "-D")
        # The node is idle once slurmd has registered with slurmctld.
        deadline = time.time() + 60
        while True:
            for name, p in cluster.procs:
                assert p.poll() is None, f"{name} exited ({p.returncode})\n{cluster.logs()}"
            r = cluster.cmd("sinfo", "-h", "-o", "%T", check=False, timeout=10)
            if r.returncode == 0 and r.stdout.split() == ["idle"]:
                break
            assert time.time() < deadline, (f"the node is not idle: {r.stdout} {r.stderr}\n"
                                            f"{cluster.logs()}")
            time.sleep(0.2)
        yield cluster
    finally:
        cluster.stop()


def test_slurm_jobs_give_the_local_output(slurm, tmp_path):
    for name in ["local", "cluster"]:
        make_inputs(tmp_path / name / "in")
        write_recipe(tmp_path / name)
    foundry("run", tmp_path / "local" / "recipe.json", "--tasks", 3, "-j", "2")

    recipe = tmp_path / "cluster" / "recipe.json"
    foundry("slurm", recipe, "--tasks", 3)
    scripts = tmp_path / "cluster" / "out" / ".foundry" / "slurm"
    phases = len(json.loads(foundry("status", recipe, "--tasks", 3, "--json").stdout)["phases"])
    start = time.time()
    r = slurm.cmd("bash", scripts / "submit.sh")
    submitted = [line.split() for line in r.stdout.splitlines()]
    # An array per phase, a job per global step between them, the statistics last.
    assert [s[1] for s in submitted] == [
        f"{k}{p}.sbatch:" for p in range(phases) for k in ["p", "g"]][:-1] + ["stats.sbatch:"]

    deadline = time.time() + 300
    while True:
        r = slurm.cmd("squeue", "-h", "-o", "%i %T %r", check=False, timeout=10)
        if r.returncode == 0 and not r.stdout.strip():
            break
        assert time.time() < deadline, (f"the jobs did not finish in 5 minutes:\n{r.stdout}"
                                        f"\n{slurm.logs()}")
        time.sleep(0.5)
    elapsed = time.time() - start

    # Every job and array element ran and ended with status 0.
    r = slurm.cmd("scontrol", "-o", "show", "job")
    jobs = [dict(f.split("=", 1) for f in line.split() if "=" in f)
            for line in r.stdout.splitlines()]
    job_logs = "\n".join(f"--- {f.name}\n{f.read_text(errors='replace')[-2000:]}"
                         for f in sorted(scripts.glob("*.log")))
    bad = [(j["JobId"], j.get("JobName"), j["JobState"], j["ExitCode"]) for j in jobs
           if j["JobState"] != "COMPLETED" or j["ExitCode"] != "0:0"]
    assert not bad and len(jobs) == 3 * phases + phases, (
        f"{bad}\n{r.stdout}\n{job_logs}\n{slurm.logs()}")
    # Each array element wrote its own log (--output=...-%A_%a.log).
    for p in range(phases):
        assert len(list(scripts.glob(f"p{p}-*_[0-9].log"))) == 3, job_logs

    assert digest(tmp_path / "cluster") == digest(tmp_path / "local")

    def counts(folder):
        stats = json.loads((folder / "out" / "stats.json").read_text())
        for s in stats["stages"]:
            s.pop("seconds", None)
        return stats
    assert counts(tmp_path / "cluster") == counts(tmp_path / "local")
    print(f"slurm jobs: {elapsed:.1f} s")
