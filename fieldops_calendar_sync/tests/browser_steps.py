"""Small steps in a ChromeBrowser that a test drives itself (beyond a tour): read a value, wait for one,
keep a screenshot to look at. One copy for every test that needs them."""

import base64
import os
import time


class BrowserSteps:
    """Mixed into an HttpCase: ``browser`` is the case's ``ChromeBrowser``."""

    def _evaluate(self, browser, expression):
        answer = browser._websocket_request("Runtime.evaluate", params={"expression": expression,
                                                                         "returnByValue": True})
        return answer["result"].get("value")

    def _wait_for(self, browser, expression, timeout=30):
        """Until ``expression`` holds in the page (an error in it counts as not yet), else fail the test."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self._evaluate(browser, f"(() => {{ try {{ return {expression}; }} catch (e) {{ return false; }} }})()"):
                return
            time.sleep(0.2)
        browser.take_screenshot(f"{type(self).__name__}_timeout_")
        self.fail(f"the browser never reached: {expression}")

    def _screenshot(self, browser, name):
        """Saved where FIELDOPS_SCREENSHOT_DIR points (to look at the page), otherwise not taken."""
        directory = os.environ.get("FIELDOPS_SCREENSHOT_DIR")
        if not directory:
            return
        shot = browser._websocket_request("Page.captureScreenshot", params={"format": "png"}, timeout=30)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, f"{name}.png"), "wb") as handle:
            handle.write(base64.b64decode(shot["data"]))
