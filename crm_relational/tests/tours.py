"""Screenshots of the browser tours, shared by the three addons' tour tests."""

import base64
import re
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

from odoo.tests.common import ChromeBrowser
from odoo.tools import config

SCREENSHOT_SIGNAL = "crm_relational_screenshot "


def screenshot_dir():
    """Where the tours save their screenshots. In a clone of the repository (the addons beside
    its ``tests/`` suite), its ``tests/screenshots/`` (git-ignored; ``docs/screenshots/`` holds
    the README's copies); addons installed anywhere else (a wheel in site-packages) write into
    Odoo's own screenshot folder (``--screenshots``), never beside the installed code."""
    repository = Path(__file__).resolve().parents[2]
    if (repository / "tests" / "repository_case.py").is_file():
        return repository / "tests" / "screenshots"
    return Path(config["screenshots"]) / "crm_relational"


@contextmanager
def tour_screenshots():
    """Saves the page as ``<screenshot_dir()>/<name>.png`` each time a tour logs
    ``crm_relational_screenshot <name>``; yields ``{name: path}`` of the screenshots, filled in
    when the tour is over."""
    taken, captures = {}, {}
    handle_console = ChromeBrowser._handle_console

    def on_console(browser, **event):  # Runtime.consoleAPICalled: type, args, stackTrace...
        args = event.get("args")
        message = str(args[0].get("value", "")) if event.get("type") == "log" and args else ""
        if message.startswith(SCREENSHOT_SIGNAL):
            name = re.sub(r"[^\w-]", "", message.removeprefix(SCREENSHOT_SIGNAL))
            captures[name] = browser._websocket_send("Page.captureScreenshot", with_future=True)
            return None
        return handle_console(browser, **event)

    with patch.object(ChromeBrowser, "_handle_console", on_console):
        yield taken
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name, capture in captures.items():
        taken[name] = folder / f"{name}.png"
        taken[name].write_bytes(base64.b64decode(capture.result(timeout=10)["data"]))
