"""`dagster dev -w workspace.yaml` serves the code location: the webserver loads it and lists the assets."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUERY = '{ assetNodes { assetKey { path } groupName hasAssetChecks description } }'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_workspace_loads_in_webserver(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "local" / "dagster.yaml", home / "dagster.yaml")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DAGSTER_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "1"}
    webserver = Path(sys.executable).with_name("dagster-webserver")
    proc = subprocess.Popen([str(webserver), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        nodes = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and nodes is None:
            time.sleep(1)
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql",
                                                 data=json.dumps({"query": QUERY}).encode(),
                                                 headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=10) as response:
                    payload = json.loads(response.read())
                nodes = payload["data"]["assetNodes"] or None
            except (OSError, KeyError, TypeError):
                continue
        assert nodes, "the webserver did not serve the code location"
        by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
        assert by_key["p0_kabkota_validated"]["groupName"] == "validated"
        assert by_key["p0_kabkota_validated"]["hasAssetChecks"]
        assert all(n["description"] for n in nodes), "every asset has a description"
        assert {"raw", "validated", "deltas", "reports"} <= {n["groupName"] for n in nodes}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
