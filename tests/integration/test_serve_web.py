"""The chat page at "/" in headless Chromium (Debian's chromium and chromium-driver, driven by
selenium): it loads, sends a message, shows the streamed answer (markdown rendered, model HTML
shown as text, never run), toggles reasoning and shows it collapsible. A screenshot is saved to
build/test-artifacts/serve_web.png."""
import shutil

import pytest

from conftest import ROOT
from serve_util import Server, chat_folder

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ANSWER = '**The answer** is `42` <img src=x onerror="window.pwned=1">'
CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM or not DRIVER:
        pytest.skip("chromium and chromium-driver are not installed (scripts/setup.sh does)")
    folder = chat_folder(tmp_path_factory.mktemp("m") / "web", ["Let me think.", "</think>", ANSWER])
    server = Server(folder, "-c", "512", "-t", "1")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1100,900"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER),
                              options=options)
    yield server, driver
    driver.quit()
    assert server.stop() == 0


def wait_for_answers(driver, n):
    WebDriverWait(driver, 60).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".msg.assistant")) == n and
        d.find_element(By.ID, "send").is_enabled())
    return driver.find_elements(By.CSS_SELECTOR, ".msg.assistant")[-1]


def send(driver, text):
    box = driver.find_element(By.ID, "input")
    box.clear()
    box.send_keys(text)
    driver.find_element(By.ID, "send").click()


def test_chat_page(browser):
    server, driver = browser
    driver.get(server.url + "/")
    assert driver.title == "EXAONE chat"
    driver.execute_script("localStorage.clear()")
    driver.get(server.url + "/")
    # Reasoning off: the whole answer is content; markdown rendered, HTML shown as text.
    send(driver, "What is 6 x 7?")
    answer = wait_for_answers(driver, 1)
    content = answer.find_element(By.CSS_SELECTOR, ".content")
    assert "Let me think.</think>The answer is 42" in content.text
    assert '<img src=x onerror="window.pwned=1">' in content.text
    assert content.find_elements(By.TAG_NAME, "img") == []
    assert content.find_element(By.TAG_NAME, "strong").text == "The answer"
    assert content.find_element(By.TAG_NAME, "code").text == "42"
    assert answer.find_elements(By.CSS_SELECTOR, "details.reasoning") == []
    # Reasoning on: shown apart, collapsible.
    driver.find_element(By.ID, "thinking").click()
    send(driver, "And 7 x 8?")
    answer = wait_for_answers(driver, 2)
    details = answer.find_element(By.CSS_SELECTOR, "details.reasoning")
    summary = details.find_element(By.TAG_NAME, "summary")
    if details.get_attribute("open") is None:
        summary.click()
    assert "Let me think." in details.text
    content = answer.find_element(By.CSS_SELECTOR, ".content")
    assert content.text.startswith("The answer is 42")
    assert "Let me think" not in content.text
    summary.click()  # collapse
    assert details.get_attribute("open") is None
    assert driver.execute_script("return window.pwned === undefined")
    # The conversation is kept in the browser.
    driver.refresh()
    WebDriverWait(driver, 10).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".msg.assistant")) == 2)
    artifacts = ROOT / "build" / "test-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(artifacts / "serve_web.png"))
