"""End to end in a real browser: start ``streamlit run app.py``, upload the side-view sample, see results.

Needs headless Chromium at ``/usr/bin/chromium`` (or ``$FORMCAM_CHROMIUM``) and the
``playwright`` package (its own browser download is *not* used); skipped, saying
why, when either is missing. Screenshots and the server log go to
``$FORMCAM_ARTIFACTS`` or ``tests/artifacts/``. The time from upload to results
is printed (run with ``-s`` to see it).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
SIDE = Path(os.environ.get("FORMCAM_BROWSER_CLIP") or ROOT / "sample_videos" / "side_phantom.mp4")
CHROMIUM = Path(os.environ.get("FORMCAM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync"]
RESULTS_TIMEOUT_MS = 180_000

if not CHROMIUM.is_file():
    pytest.skip(f"{CHROMIUM} is absent: install Chromium (apt-get install chromium) or set $FORMCAM_CHROMIUM "
                f"to run the browser test", allow_module_level=True)
playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def artifacts() -> Path:
    folder = Path(os.environ.get("FORMCAM_ARTIFACTS") or ROOT / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def server(artifacts: Path) -> Iterator[str]:
    """A ``streamlit run app.py`` server on a free port; always terminated."""
    port = free_port()
    log = (artifacts / "server.log").open("w")
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}; see {artifacts / 'server.log'}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy in 90 s; see {artifacts / 'server.log'}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.skipif(not SIDE.is_file(), reason="sample_videos/side_phantom.mp4 is absent")
def test_upload_side_sample_shows_results(server: str, artifacts: Path, tmp_path: Path) -> None:
    from formcam.app.processing import supported_options

    with playwright_sync.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server, wait_until="domcontentloaded")
            upload = page.locator("input[type=file]").first
            upload.wait_for(state="attached", timeout=60_000)
            page.get_by_text("never leaves this machine").wait_for(timeout=30_000)
            page.screenshot(path=str(artifacts / "01_start.png"), full_page=True)

            started = time.monotonic()
            upload.set_input_files(str(SIDE))
            progress = page.get_by_text(re.compile(r"pose: \d+/\d+ frames"))
            try:
                progress.first.wait_for(timeout=60_000)
                page.screenshot(path=str(artifacts / "02_progress.png"))
            except playwright_sync.TimeoutError:
                print("progress text not caught (analysis finished first?)")
            page.get_by_role("heading", name="Results", exact=True).wait_for(timeout=RESULTS_TIMEOUT_MS)
            page.locator("[data-testid='stMetric']").first.wait_for(timeout=60_000)
            elapsed = time.monotonic() - started
            print(f"\nupload to results: {elapsed:.1f} s for {SIDE.name}")
            page.get_by_role("heading", name="Downloads", exact=True).wait_for(timeout=60_000)
            page.set_viewport_size({"width": 1400, "height": 4200})  # the app scrolls inside its own pane
            page.wait_for_timeout(2000)  # let charts and images settle for the screenshot
            page.screenshot(path=str(artifacts / "03_results.png"))

            body = page.inner_text("body")
            assert "Cadence" in body and "steps/min" in body
            assert "Cues" in body
            # findings first: right after the Results header come the cues, then the numbers; the
            # measurement notes are one collapsed section after them, never a wall of warnings on top
            def top(name: str) -> float:
                box = page.get_by_role("heading", name=name, exact=True).bounding_box()
                assert box is not None, name
                return float(box["y"])
            assert top("Results") < top("Cues") < top("Metrics")
            assert page.locator("[data-testid='stAlertContentWarning']").count() == 0, body[:2000]
            notes = page.locator("details", has_text=re.compile("note\\(s\\) on how this was measured"))
            if notes.count():
                assert notes.first.get_attribute("open") is None, "measurement notes should start collapsed"
                nbox = notes.first.bounding_box()
                assert nbox is not None and nbox["y"] > top("Metrics")
            if "No form cues were raised" not in body:
                assert re.search(r"(Concern|Watch|Info) ·", body), "cue list empty but no 'no cues' note"
            assert page.locator("[data-testid='stException']").count() == 0, "the page shows a traceback"
            assert page.locator("[data-testid='stAlertContentError']").count() == 0, body[:2000]
            assert page.get_by_role("button", name=re.compile("Report \\(JSON\\)")).count() == 1
            if "render_video" in supported_options():  # the outputs stage can render the annotated video
                page.locator("video").first.wait_for(state="attached", timeout=60_000)

            # Compare tab: "after" is the current analysis; "before" an uploaded report.json.
            page.set_viewport_size({"width": 1400, "height": 1600})
            page.get_by_role("tab", name="Compare").click()
            before = tmp_path / "before.json"
            before.write_text(json.dumps({"view": "side", "metrics": {
                "knee_flexion_ic_deg": {"value": 5.0, "left": 5.0, "right": 5.0, "unit": "deg",
                                        "n_steps": 12, "available": True, "reason": None}}}))
            page.locator("input[type=file]").nth(1).set_input_files(str(before))
            page.get_by_text(re.compile(r"Real change: Knee flexion at contact")).wait_for(timeout=60_000)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(artifacts / "04_compare.png"))
            assert not errors, errors
        finally:
            browser.close()
