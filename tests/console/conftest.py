"""The console in real Chromium against `diemcau demo`: a small simulated province
(fleet over SSH, RTSP cameras, the bridge) served on a random loopback port.

One province for the console tests (it takes ~15 s to start); each test logs in as
the role it exercises. Set DIEMCAU_SCREENSHOTS=<dir> to keep each view's
screenshots (docs/screenshots holds the ones in the repo: `make screenshots`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from controller.bench.harness import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
WALL = {"width": 1920, "height": 1080}
# Every page keeps what its Content-Security-Policy refused in window.__csp (tests assert it empty).
RECORD_CSP_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""
LAPTOP = {"width": 1366, "height": 768}


@dataclass
class Province:
    url: str  # http://127.0.0.1:<port>
    data_dir: Path
    logins: dict[str, str]  # role → password (the demo's user names are the role names)

    @property
    def fleet_control(self) -> Path:
        return self.data_dir / "control.json"

    @property
    def camera_control(self) -> Path:
        return self.data_dir / "cameras-control.json"

    def token(self, role: str) -> str:
        r = httpx.post(
            f"{self.url}/api/v1/auth/token", data={"username": role, "password": self.logins[role]}
        )
        r.raise_for_status()
        return r.json()["access_token"]

    def api(self, role: str) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/api/v1", headers={"Authorization": f"Bearer {self.token(role)}"}, timeout=30
        )


def start_demo(
    host: str = "127.0.0.1",
    count: int = 24,
    cameras: int = 2,
    port: int | None = None,
    env: dict[str, str] | None = None,
    meeting: bool = False,
) -> tuple[subprocess.Popen, Province]:
    """`diemcau demo` in its own process (the same path `make demo` takes), calm: no random
    faults, and no meeting an hour ahead unless ``meeting`` (its failing communes would
    change what the other views show); ``env``: more settings (a directory to sign in with)."""
    data_dir = Path(tempfile.mkdtemp(prefix="diemcau-console-")) / "demo"
    port = port or free_port()
    env = dict(os.environ, DIEMCAU_CAMERA_SAMPLE_INTERVAL_S="5", DIEMCAU_MONITOR_INTERVAL_S="3") | (env or {})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "controller",
            "demo",
            "--host",
            host,
            "--port",
            str(port),
            "--count",
            str(count),
            "--cameras",
            str(cameras),
            "--no-living",
            "--meeting" if meeting else "--no-meeting",
            "--data-dir",
            str(data_dir),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(data_dir.parent / "demo.log", "w"),  # noqa: SIM115 - lives as long as the process
        start_new_session=True,
    )
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((data_dir.parent / "demo.log").read_text()[-2000:])
        try:
            if (
                httpx.get(f"{url}/healthz", timeout=1).status_code == 200
                and (data_dir / "logins.txt").exists()
            ):
                logins = dict(line.split() for line in (data_dir / "logins.txt").read_text().splitlines())
                return proc, Province(url, data_dir, logins)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_demo(proc)
    raise RuntimeError("the demo did not start")


def stop_demo(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@contextmanager
def own_province(**demo: Any) -> Iterator[Province]:
    """A demo province for as long as the block lasts (``demo``: start_demo's arguments)."""
    proc, province = start_demo(**demo)
    try:
        yield province
    finally:
        stop_demo(proc)


@pytest.fixture(scope="package")  # stopped after the console tests: the rest of the suite runs alone
def province() -> Iterator[Province]:
    with own_province() as shared:
        yield shared


@pytest.fixture(scope="module")  # sync Playwright holds an event loop: never across async test modules
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def open_console(
    browser: Browser, province: Province, role: str, viewport: dict | None = None, lang: str | None = None
) -> Page:
    """A fresh browser context signed in as ``role`` through the login form."""
    context = browser.new_context(viewport=viewport or LAPTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.errors = errors  # type: ignore[attr-defined]  # tests assert the console stayed clean
    page.goto(f"{province.url}/console/")
    if lang:
        page.evaluate("lang => localStorage.setItem('diemcau.lang', lang)", lang)
        page.reload()
    page.fill("#username", role)
    page.fill("#password", province.logins[role])
    page.click("#login button[type=submit]")
    page.wait_for_selector("#bar:not([hidden])")
    return page


def screenshot(page: Page, name: str) -> None:
    """Keep a screenshot when DIEMCAU_SCREENSHOTS names a directory."""
    target = os.environ.get("DIEMCAU_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"))


def pick_unit(page: Page, selector: str, code: str) -> None:
    """Choose the unit ``code`` in the unit picker (lib/unit-picker.js) whose value holder is
    ``selector`` (the old <select>'s id: "#prov-unit", "#list-unit" ...) as a user does: type
    the code into its box, click the unit's option. "" picks the blank choice ("all units").
    The one-line replacement of ``page.select_option(selector, code)``."""
    picker = page.locator(f"[data-unit-picker]:has({selector})")
    box = picker.locator("input[role=combobox]")
    box.click()
    box.fill(code)  # a code matches itself (and the units below it); "" shows the whole tree
    picker.locator(f'[role=option][data-code="{code}"]:not([aria-disabled=true])').click()
    expect(picker.locator("input[role=combobox]")).to_have_attribute("aria-expanded", "false")
    expect(page.locator(selector)).to_have_value(code)
