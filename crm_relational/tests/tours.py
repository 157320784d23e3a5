"""Screenshots of the browser tours, shared by the three addons' tour tests."""

import base64
import re
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

from odoo.tests.common import ChromeBrowser

SCREENSHOT_SIGNAL = "crm_relational_screenshot "
# tests/screenshots/ of the repository (git-ignored); docs/screenshots/ holds the README's copies.
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "tests" / "screenshots"


@contextmanager
def tour_screenshots():
    """Saves the page as ``SCREENSHOT_DIR/<name>.png`` each time a tour logs
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
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for name, capture in captures.items():
        taken[name] = SCREENSHOT_DIR / f"{name}.png"
        taken[name].write_bytes(base64.b64decode(capture.result(timeout=10)["data"]))
