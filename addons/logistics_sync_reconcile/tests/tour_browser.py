# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Odoo's test browser, able to save a screenshot when a tour asks for one.

A tour step logs ``logistics-screenshot:<name>`` and waits until the page carries
``data-logistics-screenshot="<name>"`` on ``<body>``: this browser captures the page
(Chrome DevTools ``Page.captureScreenshot``) and then sets that attribute, so the
picture shows the screen the step reached, not a later one. The pictures are written to
``docs/img/<name>.png`` of the repository once the whole tour succeeded, when the screen
really changed.
"""

import base64
import contextlib
import io
import json
import logging
import pathlib
from unittest.mock import patch

from PIL import Image, ImageChops

from odoo.tests import common

_logger = logging.getLogger(__name__)

MARKER = "logistics-screenshot:"
# <repository>/addons/logistics_sync_reconcile/tests/tour_browser.py
REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
DOCS_IMG = REPO_ROOT / "docs" / "img"


class ScreenshotBrowser(common.ChromeBrowser):
    def __init__(self, test_case, *args, **kwargs):
        super().__init__(test_case, *args, **kwargs)
        self.screenshots = {}
        # Headless Chrome refuses clipboard access without the permission: the copy
        # buttons would fail silently (a console warning) instead of copying.
        self._websocket_request("Browser.grantPermissions", params={
            "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})

    # The DevTools event's own parameter names (Runtime.consoleAPICalled).
    def _handle_console(self, type, args=None, stackTrace=None, **kw):  # noqa: A002 # pylint: disable=redefined-builtin
        super()._handle_console(type, args=args, stackTrace=stackTrace, **kw)
        if type == "log" and args and str(args[0].get("value", "")).startswith(MARKER):
            name = args[0]["value"][len(MARKER):]
            # This runs on the thread that receives the DevTools messages: never wait
            # for an answer here, continue in the callback once the picture arrives.
            future = self._websocket_send("Page.captureScreenshot", with_future=True)
            future.add_done_callback(lambda f: self._screenshot_taken(name, f))
        return None  # as Odoo's, which returns nothing

    def _screenshot_taken(self, name, future):
        try:
            self.screenshots[name] = base64.b64decode(future.result()["data"])
        except Exception:  # the tour then times out on its waiting step and says so
            _logger.exception("Screenshot %s failed", name)
            return
        self._websocket_send("Runtime.evaluate", params={
            "expression": f"document.body.dataset.logisticsScreenshot = {json.dumps(name)}"})

    def _wait_code_ok(self, code, timeout, error_checker=None):
        super()._wait_code_ok(code, timeout, error_checker=error_checker)  # raises on failure
        # Only in a source checkout (not from an installed wheel).
        if self.screenshots and (REPO_ROOT / "addons").is_dir() and DOCS_IMG.parent.is_dir():
            DOCS_IMG.mkdir(exist_ok=True)
            for name, png in self.screenshots.items():
                path = DOCS_IMG / f"{name}.png"
                if not path.exists() or ui_changed(path.read_bytes(), png):
                    path.write_bytes(png)
        return None  # as Odoo's, which returns nothing


def ui_changed(old_png, new_png, share=0.02):
    """Whether two screenshots differ by more than dates, ages and ids do: another size,
    or more than ``share`` of their pixels changed (the checkout stays clean otherwise)."""
    with Image.open(io.BytesIO(old_png)) as old, Image.open(io.BytesIO(new_png)) as new:
        if old.size != new.size:
            return True
        diff = ImageChops.difference(old.convert("RGB"), new.convert("RGB")).convert("L")
        changed = sum(diff.point(lambda v: 255 if v > 16 else 0).histogram()[255:])
        return changed > share * old.size[0] * old.size[1]


@contextlib.contextmanager
def screenshot_browser():
    """HttpCase.browser_js builds its browser from this module attribute."""
    with patch.object(common, "ChromeBrowser", ScreenshotBrowser):
        yield
