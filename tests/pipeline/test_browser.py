"""The Dagster UI in a real browser, on the shared whole-graph run's instance, as an analyst opens it.

`dagster-webserver` serves the code location on a free loopback port against the SQLite instance the
whole-graph run wrote (`good_run`, tests/pipeline/conftest.py: its `dagster_home`), with the project's own
instance settings (deploy/local/dagster.yaml: telemetry and nux off). Headless Chromium, driven by Selenium
through Debian's `chromedriver`, opens the asset graph (no "Join the Dagster community" modal), an asset page
(its check results, and a chart image), a warning's failing rows, and the partitions of the deltas (no
missing year). Chromium runs offline: no component updates, no metrics or background networking, every host
name but the loopback resolves to nothing.

Screenshots are saved in the test's temporary folder, printed at the end of the test (`pytest -rP` shows it;
by default `/tmp/pytest-of-<user>/pytest-<n>/[popen-gw<i>/]browser_screenshots0/`).
Without Chromium, chromedriver or Selenium the tests skip, saying which is missing (`.ci/run` installs them).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from assets.partitions import DataCalendar
from tests.pipeline.conftest import PROJECT_RAW, stop_process_group

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
NUX_MODAL_TEXT = "Join the Dagster community"
WAIT_SECONDS = 60  # for one page element (a loaded 2-core machine); pages take 2-8 s here


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements.lock.txt)"
    if CHROMIUM is None or CHROMEDRIVER is None:
        return ("Chromium or chromedriver not found: install Debian's chromium and chromium-driver "
                "(.ci/run does it with apt-get)")
    return None


# Reads the session's whole-graph run: on the worker that computes it (`make test`). Without Chromium the
# browser tests skip, saying why; the webserver's GraphQL test still runs.
pytestmark = pytest.mark.xdist_group("good_run")

# Offline and quiet: no first-run, sync, component updater, metrics, safe-browsing or DNS beyond the loopback.
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1600,1000",
    "--no-first-run", "--no-default-browser-check", "--disable-default-apps", "--disable-extensions",
    "--disable-sync", "--disable-component-update", "--disable-background-networking",
    "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--disable-breakpad",
    "--metrics-recording-only", "--no-pings", "--disable-features=OptimizationHints,MediaRouter,Translate",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _code_location_served(port: int) -> bool:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql",
                                     data=json.dumps({"query": "{ assetNodes { id } }"}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return bool(json.loads(response.read())["data"]["assetNodes"])
    except (OSError, KeyError, TypeError, ValueError):
        return False


def _stop(proc: subprocess.Popen) -> None:
    """Stop the webserver and its code server (its own process group, which it started)."""
    stop_process_group(proc, timeout=20)


def _start_webserver(data_dir: Path, home: Path) -> tuple[subprocess.Popen, int]:
    settings = yaml.safe_load((ROOT / "deploy" / "local" / "dagster.yaml").read_text())
    settings["storage"] = {"sqlite": {"base_dir": str(data_dir / "dagster_home")}}
    (home / "dagster.yaml").write_text(yaml.safe_dump(settings))
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DAGSTER_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "1",
           "KEMISKINAN_PROFILE": "local", "KEMISKINAN_DATA_DIR": str(data_dir), "KEMISKINAN_RAW_DIR": str(PROJECT_RAW)}
    with (home / "webserver.log").open("wb") as log:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("dagster-webserver")), "-w", "workspace.yaml",
                                 "-h", "127.0.0.1", "-p", str(port)], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    return proc, port


def _start_chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    # the driver's path is given, so Selenium Manager (which would look for drivers online) is not run
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))


@pytest.fixture(scope="module")
def ui(good_run, tmp_path_factory):
    """(the UI's address, the browser): the webserver on the whole-graph run's storage with the project's
    instance settings, and headless Chromium, started while the webserver loads the code location."""
    data_dir, _, _ = good_run
    home = tmp_path_factory.mktemp("browser_dagster_home")
    proc, port = _start_webserver(data_dir, home)
    driver = None
    try:
        if _missing() is None:
            driver = _start_chromium()
            driver.screenshots = tmp_path_factory.mktemp("browser_screenshots")
        deadline = time.monotonic() + 120
        while not _code_location_served(port):
            assert proc.poll() is None, f"dagster-webserver exited: {(home / 'webserver.log').read_text()[-3000:]}"
            assert time.monotonic() < deadline, "the webserver did not serve the code location in 120 s"
            time.sleep(0.25)
        yield f"http://127.0.0.1:{port}", driver
    finally:
        if driver is not None:
            driver.quit()  # ends chromedriver and the Chromium it started
            print(f"\nscreenshots of the Dagster UI: {driver.screenshots}")
        _stop(proc)


@pytest.fixture
def webserver(ui) -> str:
    return ui[0]


@pytest.fixture
def browser(ui):
    if ui[1] is None:
        pytest.skip(str(_missing()))
    return ui[1]


GRAPHQL_ASSETS = '{ assetNodes { assetKey { path } groupName hasAssetChecks description } }'


def test_workspace_loads_in_webserver(webserver):
    """`dagster-webserver -w workspace.yaml` (what `make ui` starts) serves the code location: every asset,
    each with a description, the checks of the validated panel, the layers' groups."""
    request = urllib.request.Request(f"{webserver}/graphql", data=json.dumps({"query": GRAPHQL_ASSETS}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        nodes = json.loads(response.read())["data"]["assetNodes"]
    by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
    assert by_key["p0_kabkota_validated"]["groupName"] == "validated"
    assert by_key["p0_kabkota_validated"]["hasAssetChecks"]
    assert all(n["description"] for n in nodes), "every asset has a description"
    assert {"raw", "validated", "deltas", "estimates", "registry", "reports"} <= {n["groupName"] for n in nodes}


def _wait(driver, condition, what: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.25).until(condition)
    except TimeoutException:
        shot = driver.screenshots / f"timeout_{what.replace(' ', '_')[:40]}.png"
        driver.save_screenshot(str(shot))
        raise AssertionError(f"{what}: not shown within {WAIT_SECONDS} s (screenshot {shot})") from None


def _text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def _click_text(driver, text: str, what: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    element = _wait(driver, EC.element_to_be_clickable((By.XPATH, f"//*[normalize-space(text())='{text}']")), what)
    element.click()
    return element


def test_asset_graph_renders_without_the_community_modal(webserver, browser):
    browser.get(f"{webserver}/asset-groups")
    # the groups are drawn as graph nodes besides the sidebar's list: each name shows twice
    groups = ("raw", "validated", "estimates", "deltas", "reports", "registry")
    _wait(browser, lambda d: all(_text(d).split("\n").count(g) >= 2 for g in groups), "asset graph")
    time.sleep(2)  # the modal, when on, opens once the instance's settings are read (with the graph)
    browser.save_screenshot(str(browser.screenshots / "01_asset_graph.png"))
    from selenium.webdriver.common.by import By

    dialogs = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "[role=dialog]") if e.is_displayed()]
    assert NUX_MODAL_TEXT not in _text(browser) and dialogs == []


def test_asset_page_shows_check_results_and_a_chart(webserver, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    browser.get(f"{webserver}/assets/p0_charts?view=checks")
    _wait(browser, lambda d: "files_written" in _text(d) and "Succeeded" in _text(d), "p0_charts check results")
    browser.save_screenshot(str(browser.screenshots / "02_p0_charts_checks.png"))
    text = _text(browser)
    assert "no_identity_columns" in text and "files_written: ok" in text

    overview = "//a[contains(@href, '/assets/p0_charts') and normalize-space(.)='Overview']"
    _wait(browser, EC.element_to_be_clickable((By.XPATH, overview)), "the asset's Overview tab").click()
    _click_text(browser, "[Show Markdown]", "the trend chart's metadata")
    image = _wait(browser, EC.visibility_of_element_located((By.CSS_SELECTOR, "img[src^='data:image/png']")),
                  "chart image")
    _wait(browser, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image),
          "chart image decoded")
    time.sleep(0.5)  # the dialog fades in
    browser.save_screenshot(str(browser.screenshots / "03_p0_charts_trend.png"))
    assert browser.execute_script("return arguments[0].naturalWidth", image) >= 600
    assert image.size["width"] >= 600


def test_a_warning_shows_its_failing_rows(webserver, browser):
    """The news cross-check's warning: every failing row is one click away, with the file that holds them."""
    from selenium.webdriver.common.by import By

    browser.get(f"{webserver}/assets/p0_kabkota_validated?view=checks")
    _click_text(browser, "quoted_figures_agree", "quoted_figures_agree check")
    _wait(browser, lambda d: "quoted_figures_agree.failing_rows.csv" in _text(d), "link to the failing rows' CSV")
    _click_text(browser, "[Show Markdown]", "the failing rows")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[role=dialog] table"), "failing rows table")
    time.sleep(0.5)  # the dialog fades in
    browser.save_screenshot(str(browser.screenshots / "04_quoted_figures_failing_rows.png"))
    table = browser.find_element(By.CSS_SELECTOR, "[role=dialog] table").text
    assert "Lamongan" in table and "13.38" in table and "13.86" in table
    assert "nan" not in table.split() and "None" not in table.split()


def test_deltas_partitions_are_complete_and_each_shows_its_own_year(webserver, browser):
    """No missing year in the partitions of the deltas; a partition's page shows that year's figures (the
    Plots view draws them as a series) and its preview: Jombang 2024, 9,15 -> 8,60, -0,55 poin (field notes)."""
    from selenium.webdriver.common.by import By

    years = DataCalendar.from_raw(PROJECT_RAW).years[1:]
    browser.get(f"{webserver}/assets/p0_deltas_kabkota?view=partitions&partition=2023")
    _wait(browser, lambda d: f"Materialized ({len(years)})" in _text(d), f"{len(years)} materialised partitions")
    browser.save_screenshot(str(browser.screenshots / "05_deltas_partitions.png"))
    text = _text(browser)
    assert "Missing (0)" in text and "Failed (0)" in text
    assert f"{len(years)} Partitions" in text and str(years[-1]) in text

    shown = {}
    for year in (2023, 2024):
        if year != 2023:
            _click_text(browser, str(year), f"partition {year} in the list")  # in the page: no reload
        _wait(browser, lambda d, year=year: "mean_delta_p0_pp" in _text(d) and f"year\n{year}" in _text(d),
              f"metadata of partition {year}")
        text = _text(browser)
        shown[year] = text[text.index("Metadata"):text.index("Tags")]
    assert shown[2023] != shown[2024]
    _click_text(browser, "[Show Markdown]", "the preview of 2024")
    _wait(browser, lambda d: "Jombang" in " ".join(e.text for e in d.find_elements(By.CSS_SELECTOR, "[role=dialog]")),
          "the preview table")
    time.sleep(0.5)  # the dialog fades in
    browser.save_screenshot(str(browser.screenshots / "06_deltas_2024_preview.png"))
    preview = browser.find_element(By.CSS_SELECTOR, "[role=dialog]").text
    assert "3517 Jombang 2024 9,15 8,60 -0,55 110,57 -6.790" in preview.splitlines()
