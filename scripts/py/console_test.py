"""The web console in a real browser against a real 3-node cluster (docs/console.md, "Tests").

Headless Chromium (Debian's chromium + chromium-driver) driven through selenium: fills the form
field by field for one example and submits; imports another as JSON and submits; follows both to
100% with every agent row completed and checks the summary cards against the JSON report; sees a
server 400 next to its field; the list shows both; the cluster page shows three members up; then
SIGKILLs the node that served the page while an assessment runs and checks that the page switches
to another member within 5 s and keeps updating to the end. Screenshots of every page at 375 px
and 1440 px go to --out. The cluster is stopped whatever happens.
"""

import argparse
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as clusterlib  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WIDTHS = (375, 1440)
FAILOVER_LIMIT_S = 5.0


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def wait(what, predicate, timeout=60.0, interval=0.1):
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        try:
            value = predicate()
        except (StaleElementReferenceException, WebDriverException) as error:
            value, last = None, error
        if value:
            return value
        time.sleep(interval)
    raise Failure(f"timed out after {timeout:.0f} s waiting for {what}" + (f" (last error: {last})" if last else ""))


def make_token(binary, role):
    """`inframind token create`: the token (printed once) and its tokens-file line."""
    import subprocess
    out = subprocess.run([binary, "token", "create", "--role", role, "--tenant", "acme", "--label", f"console-{role}"],
                         check=True, capture_output=True, text=True).stdout
    token = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("token "))
    line = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("tokens_file line"))
    return token, line


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


class Console:
    def __init__(self, driver, out):
        self.d = driver
        self.out = out
        self.shots = []

    def by_id(self, element_id):
        return self.d.find_element(By.ID, element_id)

    def testid(self, name):
        return self.d.find_elements(By.CSS_SELECTOR, f'[data-testid="{name}"]')

    def screenshot(self, name):
        """Full-page screenshots at each width (DevTools' captureBeyondViewport)."""
        for width in WIDTHS:
            self.d.set_window_size(width, 900)
            time.sleep(0.4)
            metrics = self.d.execute_cdp_cmd("Page.getLayoutMetrics", {})
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            shot = self.d.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": min(size["height"], 16000), "scale": 1},
            })
            path = os.path.join(self.out, f"{name}-{width}.png")
            import base64
            with open(path, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            self.shots.append(path)
        self.d.set_window_size(1440, 900)

    def open(self, url):
        attempts = 10
        for attempt in range(attempts):
            try:
                self.d.get(url)
                break
            except WebDriverException:
                # A node that has just said it is ready may still be settling its listener; on two
                # shared cores under load that has taken more than two seconds.
                if attempt == attempts - 1:
                    raise
                time.sleep(1)
        wait("the console's script", lambda: self.d.execute_script("return document.querySelector('main').children.length > 0"))

    def form_ready(self):
        wait("the form from /v1/schema", lambda: self.testid("submit-assessment") or None)

    # ---------------------------------------------------------------- the form
    def fill(self, path, value):
        """Sets the control(s) at JSON path `path` to `value` the way a user would."""
        if isinstance(value, dict):
            for key, inner in value.items():
                self.fill(f"{path}.{key}" if path else key, inner)
            return
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value):
                self.click(self.by_id(f"{path}-add"))
                self.fill(f"{path}[{index}]", item)
            return
        if isinstance(value, list):
            checkboxes = self.d.find_elements(By.CSS_SELECTOR, f'input[type=checkbox][name="{path}"]')
            if checkboxes:
                for box in checkboxes:
                    if (box.get_attribute("value") in value) != box.is_selected():
                        self.click(box)
                return
            area = self.by_id(path)
            self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", area)
            area.clear()
            area.send_keys("\n".join(value))
            return
        element = self.by_id(path)
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        if element.tag_name == "select":
            Select(element).select_by_value("true" if value is True else "false" if value is False else str(value))
        else:
            element.clear()
            element.send_keys(str(value))

    def click(self, element):
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def submit_and_follow(self):
        before = self.d.current_url
        self.click(self.testid("submit-assessment")[0])
        wait("the assessment page", lambda: "/assessments/" in self.d.current_url and self.d.current_url != before, 30)
        return self.d.current_url.rsplit("/", 1)[1]

    def wait_completed(self, timeout=120):
        def done():
            progress = self.testid("progress")
            rows = self.testid("agent-row")
            if not progress or progress[0].get_attribute("aria-valuenow") != "100" or len(rows) < 11:
                return False
            return all(r.get_attribute("data-state") == "completed" for r in rows)
        wait("progress 100 and every agent row completed", done, timeout)
        wait("the rendered report", lambda: self.testid("report") and self.testid("summary-monthly-cost"), 30)

    def check_summary(self, base, aid):
        report = get_json(f"{base}/v1/assessments/{aid}/report")
        summary = report["summary"]
        card = self.testid("summary-monthly-cost")[0]
        shown = float(card.get_attribute("data-value"))
        check(abs(shown - summary["estimated_monthly_cost_usd"]) < 1e-6,
              f"monthly cost card {shown} != report {summary['estimated_monthly_cost_usd']}")
        text = card.text.replace(",", "")
        check(f"{summary['estimated_monthly_cost_usd']:.2f}" in text, f"monthly cost card text {card.text!r}")
        tco = float(self.testid("summary-tco")[0].get_attribute("data-value"))
        check(abs(tco - summary["three_year_tco_usd"]) < 1e-6, "three-year TCO card differs from the report")
        recommended = self.testid("summary-recommended")[0].text
        check(summary["recommended_provider"] in recommended and summary["recommended_region"] in recommended,
              f"recommended card {recommended!r}")
        title = self.d.find_element(By.TAG_NAME, "h1").text
        check(title == report["title"], f"page title {title!r} != report title {report['title']!r}")
        agents = report["agents"]
        expected = 2 * bool(agents["cloud_engineer"]["data"].get("providers")) + bool(
            agents["simulation"]["data"].get("horizons")) + bool(agents["compliance"]["data"].get("frameworks"))
        charts = self.d.find_elements(By.CSS_SELECTOR, "figure.chart svg")
        check(len(charts) == expected, f"{len(charts)} charts rendered, expected {expected} (cost, providers, projection, compliance)")
        sections = self.d.find_elements(By.CSS_SELECTOR, ".report-section")
        check(len(sections) == len(report["sections"]), f"{len(sections)} sections rendered of {len(report['sections'])}")

    def serving_node(self):
        return self.testid("serving-node")[0].get_attribute("data-node")


def run(args):
    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        if name.endswith(".png"):
            os.remove(os.path.join(args.out, name))
    node_args = clusterlib.slowdown_args(args.bin, sleep_ms=args.agent_sleep_ms)
    cl = clusterlib.Cluster(ROOT, args.bin, 3, base_port=args.base_port, node_args=node_args, log=print)
    # From the ports this cluster is started on, not from .cluster/node-*/args: until cluster-up has
    # run, those are the previous cluster's (after scripts/chaos, another cluster's ports entirely).
    bases = {i: f"http://127.0.0.1:{args.base_port + 1000 + i}" for i in (1, 2, 3)}
    examples = os.path.join(ROOT, "examples")
    driver = None
    steps = []

    def step(name):
        steps.append(name)
        print(f"-- {name}", flush=True)

    try:
        step("cluster up")
        cl.up()
        options = webdriver.ChromeOptions()
        options.binary_location = args.chromium
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1440,900", "--lang=en-US"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(args.chromedriver), options=options)
        console = Console(driver, args.out)

        step("form filled field by field (healthcare-startup-7b) and submitted on node-1")
        console.open(bases[1] + "/")
        console.form_ready()
        console.screenshot("new-assessment-empty")
        with open(os.path.join(examples, "healthcare-startup-7b.json")) as f:
            first = json.load(f)
        console.fill("", first)
        sent = json.loads(driver.execute_script(
            "document.getElementById('view-json').click(); return document.getElementById('request-json').value"))
        check(sent == first, f"the form's JSON differs from the example:\n{json.dumps(sent, sort_keys=True)}\n{json.dumps(first, sort_keys=True)}")
        console.screenshot("new-assessment-filled")
        first_id = console.submit_and_follow()
        console.wait_completed()
        console.check_summary(bases[1], first_id)
        console.screenshot("assessment-report")
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        check(not console.testid("progress")[0].is_displayed(), "the print stylesheet keeps the progress bar")
        console.screenshot("assessment-report-print")
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

        step("another example imported as JSON and submitted")
        console.click(driver.find_element(By.CSS_SELECTOR, 'a[data-nav="new"]'))
        console.form_ready()
        with open(os.path.join(examples, "bank-eu-70b-fine-tuning.json")) as f:
            second_text = f.read()
        console.click(driver.find_element(By.CSS_SELECTOR, "#json-panel summary"))
        driver.execute_script("arguments[0].value = arguments[1]", console.testid("request-json")[0], second_text)
        console.click(console.by_id("apply-json"))
        check(console.by_id("business.company_name").get_attribute("value") == json.loads(second_text)["business"]["company_name"],
              "importing JSON did not fill the form")
        second_id = console.submit_and_follow()
        check(second_id != first_id, "the second submission got the first one's id")
        console.wait_completed()
        console.check_summary(bases[1], second_id)

        step("a server 400 is shown next to its field")
        console.click(driver.find_element(By.CSS_SELECTOR, 'a[data-nav="new"]'))
        console.form_ready()
        bad = json.loads(second_text)
        bad["business"]["company_size"] = "galactic"
        console.click(driver.find_element(By.CSS_SELECTOR, "#json-panel summary"))
        driver.execute_script("arguments[0].value = arguments[1]", console.testid("request-json")[0], json.dumps(bad))
        console.click(console.by_id("apply-json"))
        console.click(console.testid("submit-assessment")[0])
        message = wait("the field's error", lambda: console.by_id("business.company_size-error").text, 15)
        check("one of" in message or "must" in message, f"unexpected problem text {message!r}")
        check(console.by_id("business.company_size").get_attribute("aria-invalid") == "true", "the field is not marked invalid")
        check("/assessments/" not in driver.current_url, "an invalid request left the form")
        console.screenshot("new-assessment-400")

        step("the list shows both")
        console.click(driver.find_element(By.CSS_SELECTOR, 'a[data-nav="list"]'))
        wait("both assessments listed", lambda: all(driver.find_elements(By.CSS_SELECTOR, f'tr[data-id="{i}"]') for i in (first_id, second_id)), 20)
        titles = driver.find_element(By.CSS_SELECTOR, "table.list tbody").text
        check(first["title"] in titles, "the list does not show the first title")
        console.screenshot("assessments-list")

        step("a finished assessment opened later, on another node, shows every agent's timeline")
        console.open(bases[3] + f"/assessments/{first_id}")
        wait("every agent row with a timeline segment", lambda: len(console.testid("agent-row")) == 11 and all(
            r.find_elements(By.CSS_SELECTOR, ".timeline .seg") for r in console.testid("agent-row")), 20)
        times = [c.get_attribute("textContent") for r in console.testid("agent-row") for c in r.find_elements(By.CSS_SELECTOR, "td.opt")]
        check(all(t and t != "—" for t in times), f"an agent without its start or finish time: {times}")
        console.screenshot("assessment-reopened")

        step("the cluster page shows three members up")
        console.click(driver.find_element(By.CSS_SELECTOR, 'a[data-nav="cluster"]'))
        wait("three members up", lambda: [r.get_attribute("data-status") for r in console.testid("member-row")] == ["up"] * 3, 20)
        wait("every node's load", lambda: len(driver.find_elements(By.CSS_SELECTOR, "table.stats tbody tr")) == 3, 20)
        console.screenshot("cluster")

        step("SIGKILL the serving node while an assessment runs; the page switches and keeps updating")
        console.open(bases[2] + "/")
        console.form_ready()
        wait("serving node-2", lambda: console.serving_node() == "node-2", 10)
        Select(console.by_id("example-name")).select_by_value("nonprofit-tight-budget")
        console.click(console.by_id("load-example"))
        wait("the example in the form", lambda: console.by_id("business.company_name").get_attribute("value"), 10)
        third_id = console.submit_and_follow()
        wait("the assessment running", lambda: 0 < int(console.testid("progress")[0].get_attribute("aria-valuenow") or 0) < 100
             or any(r.get_attribute("data-state") == "running" for r in console.testid("agent-row")), 30, 0.05)
        before = int(console.testid("progress")[0].get_attribute("aria-valuenow"))
        check(before < 100, "the assessment finished before the node could be killed; raise --agent-sleep-ms")
        killed_at = time.monotonic()
        check(cl.signal(2, "KILL"), "could not SIGKILL node-2")
        switched = wait("another serving node", lambda: console.serving_node() not in ("node-2", "") and console.serving_node(), 15, 0.05)
        failover_s = time.monotonic() - killed_at
        print(f"failover_s={failover_s:.2f} to {switched} (progress was {before}%)", flush=True)
        check(failover_s <= FAILOVER_LIMIT_S, f"the page took {failover_s:.2f} s to switch (limit {FAILOVER_LIMIT_S} s)")
        note = console.testid("serving-node")[0].text
        check("node-2" in note and "stopped answering" in note, f"no visible note of the switch: {note!r}")
        console.wait_completed(timeout=120)
        console.check_summary(bases[1 if switched == "node-1" else 3], third_id)
        console.screenshot("assessment-after-failover")
        console.click(driver.find_element(By.CSS_SELECTOR, 'a[data-nav="cluster"]'))
        wait("node-2 no longer up, the others up", lambda: {
            r.get_attribute("data-member"): r.get_attribute("data-status") for r in console.testid("member-row")
        }.get("node-2") in ("suspect", "down", "left") and sum(
            r.get_attribute("data-status") == "up" for r in console.testid("member-row")) == 2, 30)
        console.screenshot("cluster-after-failover")

        step("SIGSTOP the serving node (hung, not dead) while an assessment runs; the page switches and keeps updating")
        cl.start(2)
        cl.wait_ready([2], timeout=60)
        console.click(driver.find_element(By.CSS_SELECTOR, 'a[data-nav="cluster"]'))
        # The killed incarnation of node-2 stays listed as down beside the new one until it is reaped.
        wait("three members up again", lambda: {r.get_attribute("data-member") for r in console.testid("member-row")
                                                 if r.get_attribute("data-status") == "up"} == {"node-1", "node-2", "node-3"}, 30)
        console.click(driver.find_element(By.CSS_SELECTOR, 'a[data-nav="new"]'))
        console.form_ready()
        Select(console.by_id("example-name")).select_by_value("retailer-web-analytics")
        console.click(console.by_id("load-example"))
        wait("the example in the form", lambda: console.by_id("business.company_name").get_attribute("value"), 10)
        fourth_id = console.submit_and_follow()
        wait("the assessment running", lambda: any(r.get_attribute("data-state") == "running" for r in console.testid("agent-row")), 30, 0.05)
        hung = console.serving_node()
        hung_index = int(hung.rsplit("-", 1)[1])
        stopped_at = time.monotonic()
        check(cl.signal(hung_index, "STOP"), f"could not SIGSTOP {hung}")
        try:
            moved = wait("another serving node", lambda: console.serving_node() not in (hung, "") and console.serving_node(), 15, 0.05)
            hang_failover_s = time.monotonic() - stopped_at
            print(f"hang_failover_s={hang_failover_s:.2f} from {hung} to {moved}", flush=True)
            check(hang_failover_s <= FAILOVER_LIMIT_S, f"the page took {hang_failover_s:.2f} s to leave a hung node (limit {FAILOVER_LIMIT_S} s)")
            console.wait_completed(timeout=120)
            console.check_summary(bases[int(moved.rsplit("-", 1)[1])], fourth_id)
        finally:
            cl.signal(hung_index, "CONT")

        step("with tokens configured: the console asks for one at once; a reader is not offered submit or cancel")
        cl.down()
        tokens = {role: make_token(args.bin, role) for role in ("reader", "submitter", "admin")}
        tokens_file = os.path.join(args.out, "tokens")
        with open(tokens_file, "w") as f:
            f.write("# console test\n" + "".join(line + "\n" for _, line in tokens.values()))
        cl.node_args = node_args + ["--tokens-file", tokens_file]
        # cluster-up checks /v1/cluster, which needs a token now.
        os.environ["INFRAMIND_TOKEN"] = tokens["admin"][0]
        cl.up()
        reader_token, submitter_token = tokens["reader"][0], tokens["submitter"][0]
        console.d.get(bases[3] + "/")
        for attempt in ("not-a-token", reader_token):
            wait("the token prompt", lambda: console.by_id("token-input").is_displayed(), 15)
            console.by_id("token-input").send_keys(attempt)
            console.click(driver.find_element(By.CSS_SELECTOR, '#token-form button[value="ok"]'))
        console.form_ready()
        wait("the reader's session", lambda: "reader of acme" in console.by_id("token-button").text, 10)
        check(not console.testid("submit-assessment")[0].is_displayed(), "submit offered to a reader")
        check(driver.execute_script("return sessionStorage.getItem('inframind.token')") == reader_token,
              "token not in sessionStorage")
        console.screenshot("new-assessment-reader")
        console.click(console.by_id("token-button"))
        wait("the token dialog", lambda: console.by_id("token-input").is_displayed(), 5)
        console.by_id("token-input").send_keys(submitter_token)
        console.click(driver.find_element(By.CSS_SELECTOR, '#token-form button[value="ok"]'))
        wait("submit offered to a submitter", lambda: console.testid("submit-assessment")[0].is_displayed(), 10)
        console.click(console.by_id("load-example"))
        wait("the example in the form", lambda: console.by_id("business.company_name").get_attribute("value"), 10)
        token_id = console.submit_and_follow()
        wait("live progress with a token (SSE sends it)", lambda: int(
            console.testid("progress")[0].get_attribute("aria-valuenow") or 0) > 0, 60)
        wait("the cancel button", lambda: [b for b in driver.find_elements(By.CSS_SELECTOR, "button.danger") if b.is_displayed()], 30)
        # The reader sees the same assessment but is not offered cancel.
        driver.execute_script("sessionStorage.setItem('inframind.token', arguments[0])", reader_token)
        # The same origin: sessionStorage is per origin (and per tab).
        console.open(bases[3] + f"/assessments/{token_id}")
        wait("the assessment for the reader", lambda: console.testid("progress"), 20)
        time.sleep(1)
        check(not [b for b in driver.find_elements(By.CSS_SELECTOR, "button.danger") if b.is_displayed()],
              "cancel offered to a reader")
        # A token that stops being accepted leads back to the prompt.
        driver.execute_script("sessionStorage.setItem('inframind.token', 'revoked')")
        console.click(driver.find_element(By.CSS_SELECTOR, 'a[data-nav="list"]'))
        wait("the token prompt after a 401", lambda: console.by_id("token-input").is_displayed(), 10)

        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"
                  and "Failed to load resource" not in e.get("message", "")
                  and "ERR_CONNECTION_REFUSED" not in e.get("message", "")
                  and "401" not in e.get("message", "")
                  and "/events" not in e.get("message", "")]
        check(not errors, f"console errors in the browser: {errors[:5]}")
        print(f"screenshots: {len(console.shots)} in {args.out}")
        print(f"console browser test: {len(steps)} passed, 0 failed", flush=True)
        return 0
    except (Failure, WebDriverException) as failure:
        print(f"FAILED at step '{steps[-1] if steps else '?'}': {failure}", file=sys.stderr, flush=True)
        if driver:
            try:
                driver.save_screenshot(os.path.join(args.out, "failure.png"))
                for entry in driver.get_log("browser")[-20:]:
                    print(f"  browser: {entry.get('level')} {entry.get('message')}", file=sys.stderr)
            except WebDriverException:
                pass
        # The nodes' own account of the failure (the cluster is still up here; down() comes later).
        for i in (1, 2, 3):
            print(f"  node-{i} ready: {cl.ready(i)}", file=sys.stderr)
            log = os.path.join(ROOT, ".cluster", f"node-{i}", "log")
            if os.path.exists(log):
                with open(log, errors="replace") as f:
                    for line in f.readlines()[-8:]:
                        print(f"  node-{i}: {line.rstrip()}", file=sys.stderr)
        print(f"console browser test: {len(steps) - 1} passed, 1 failed", flush=True)
        return 1
    finally:
        if driver:
            driver.quit()
        cl.down()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the inframind binary")
    ap.add_argument("--out", default=os.path.join(ROOT, ".console-test"), help="screenshots and failure output")
    ap.add_argument("--base-port", type=int, default=17300,
                    help="cluster ports B+i, HTTP ports B+1000+i (away from cluster-up's defaults)")
    ap.add_argument("--agent-sleep-ms", type=int, default=1500,
                    help="per agent, so an assessment runs long enough to kill its serving node mid-way")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    sys.exit(run(ap.parse_args()))


if __name__ == "__main__":
    main()
