"""The built site in a real browser: headless Chromium (Debian's chromium and chromium-driver) opens the home page,
a math page, a tutorial and the gallery from a server on 127.0.0.1. Each page loads, MathJax leaves no raw TeX,
every image loads, and every internal link answers 200. Skips with a reason where Chromium, its driver or
selenium is missing; .ci/run installs all three."""

from __future__ import annotations

import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import pytest
from docsite import require_site, serve

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
PAGES = {"home": "index.html", "math": "math/conv.html", "tutorial": "auto_tutorials/tutorial_2_cnn_mnist.html",
         "gallery": "gallery.html"}
RAW_TEX = r"/\\(frac|sum|partial|mathbb|begin|left|right|qquad|top|lfloor|sqrt|odot)\b|\$\$/"
TEXT_WITHOUT_CODE = """
const body = document.querySelector('main') || document.body;
const copy = body.cloneNode(true);
copy.querySelectorAll('pre, code, script, style, mjx-container, .highlight').forEach(e => e.remove());
return copy.textContent;"""
IMAGES_LOADED = """
const done = arguments[arguments.length - 1];
const images = Array.from(document.images);
images.forEach(i => { i.loading = 'eager'; });
Promise.all(images.map(i => i.decode().catch(() => null))).then(() =>
  done(images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src)));"""
MATH_TYPESET = """
const done = arguments[arguments.length - 1];
if (!window.MathJax || !MathJax.startup) { done(-1); return; }
MathJax.startup.promise.then(() => done(document.querySelectorAll('mjx-container').length));"""


@pytest.fixture(scope="module")
def browser():
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", DRIVER)) if path is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install -e '.[docs]')")
    profile = tempfile.mkdtemp(prefix="pyldl-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.set_script_timeout(60)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    with serve(require_site()) as url:
        yield url


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_with_its_images_math_and_links(browser, server, name):
    browser.get(f"{server}/{PAGES[name]}")
    assert browser.execute_script("return document.readyState") == "complete"
    assert "pyldl_gpu" in browser.title, browser.title
    assert browser.find_elements("css selector", "main h1"), "no page heading: the page did not render"
    typeset = browser.execute_async_script(MATH_TYPESET)
    if name == "math":
        assert typeset > 10, f"MathJax typeset {typeset} formulas"
        leftover = browser.execute_script(f"return ({RAW_TEX}).exec(arguments[0]);",
                                          browser.execute_script(TEXT_WITHOUT_CODE))
        assert leftover is None, f"raw TeX left on the page: {leftover}"
    broken = browser.execute_async_script(IMAGES_LOADED)
    assert not broken, f"images that did not load: {broken}"
    assert browser.find_elements("css selector", "main img") or name == "math"
    hrefs = browser.execute_script("return Array.from(document.links).map(a => a.href);")
    internal = sorted({urllib.parse.urldefrag(h)[0] for h in hrefs if h.startswith(server)})
    external = sorted({h for h in hrefs if h.startswith(("http:", "https:")) and not h.startswith(server)})
    assert not external, f"links outside the site: {external}"
    assert len(internal) > 5
    bad = {url: code for url in internal if (code := _status(url)) != 200}
    assert not bad, f"internal links that do not answer 200: {bad}"


def test_home_page_screenshot_is_not_blank(browser, server, tmp_path):
    browser.get(f"{server}/index.html")
    browser.execute_async_script(IMAGES_LOADED)
    shot = tmp_path / "home.png"
    assert browser.save_screenshot(str(shot))
    from PIL import Image

    with Image.open(shot) as image:
        colours = image.convert("L").getextrema()
    assert image.size == (1280, 1000) or image.size[0] >= 800
    assert colours[1] - colours[0] > 100  # text and figure on a background, not an empty page
