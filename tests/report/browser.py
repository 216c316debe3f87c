"""Markdown as a reader sees it on GitHub: cmark-gfm's HTML, then Mermaid in headless Chromium.

GitHub turns a fenced ``mermaid`` block into ``<pre lang="mermaid"><code>`` (cmark-gfm with
its ``GITHUB_PRE_LANG`` option, as here) and its viewer draws it with Mermaid. ``draw`` does
the same in Debian's ``chromium``: each such block becomes a Mermaid element, ``mermaid.parse``
checks it, ``mermaid.run`` draws it, and each block's outcome (an SVG, an error SVG, a thrown
error) is written into the page, which ``--dump-dom`` gives back. A screenshot of the page goes
into the folder the caller names.

Mermaid comes from npm, pinned (``MERMAID_VERSION``; GitHub draws with Mermaid 10 or newer),
installed once into a cache folder outside the repository (``$MLOPS_CI_MERMAID_DIR``, else
``~/.cache/mlops-ci/mermaid-VERSION``). ``require_browser`` skips a test when Chromium or npm
is missing, and fails it under ``CI=true`` (``.ci/run`` installs both).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

MARKER = "browser"
MERMAID_VERSION = "11.4.1"
CHROMIUM = ("chromium", "chromium-browser")
_RESULT = re.compile(r'<pre id="mlops-ci-result">(.*?)</pre>', re.DOTALL)

_SCRIPT = """
<pre id="mlops-ci-result"></pre>
<script src="%(mermaid)s"></script>
<script>
// The drawn text (titles, labels), without the SVG's style sheet.
const textOf = (svg) => Array.from(svg.querySelectorAll("text, tspan, foreignObject"))
  .map(node => node.textContent).join(" | ").slice(0, 3000);
(async () => {
  const results = [];
  try {
    mermaid.initialize({startOnLoad: false, securityLevel: "strict"});
    const blocks = document.querySelectorAll('pre[lang="mermaid"], code.language-mermaid');
    const nodes = [];
    for (const block of blocks) {
      const pre = block.tagName === "PRE" ? block : block.parentElement;
      const source = pre.textContent;
      const div = document.createElement("div");
      div.className = "mermaid";
      div.textContent = source;
      pre.replaceWith(div);
      let parsed = "ok";
      try { await mermaid.parse(source); }
      catch (error) { parsed = String(error.message || error); }
      nodes.push({div, source, parsed});
    }
    for (const n of nodes) {
      let thrown = "";
      try { await mermaid.run({nodes: [n.div], suppressErrors: false}); }
      catch (error) { thrown = String(error.message || error); }
      const svg = n.div.querySelector("svg");
      results.push({
        source: n.source,
        parse: n.parsed,
        svg: svg !== null,
        kind: svg ? (svg.getAttribute("aria-roledescription") || "") : "",
        text: svg ? textOf(svg) : n.div.textContent.slice(0, 300),
        thrown,
      });
    }
  } catch (error) {
    results.push({source: "", parse: "harness: " + error, svg: false, kind: "", text: "",
                  thrown: ""});
  }
  document.getElementById("mlops-ci-result").textContent = JSON.stringify(results);
})();
</script>
"""


@dataclass(frozen=True, slots=True)
class Drawn:
    """One Mermaid block as the browser drew it."""

    source: str
    parse: str  # "ok", or mermaid.parse's error
    svg: bool
    kind: str  # the SVG's aria-roledescription: "xychart", or "error"
    text: str  # the SVG's text (titles, labels), or the element's text without an SVG
    thrown: str  # what mermaid.run threw, if anything

    @property
    def problem(self) -> str | None:
        if self.parse != "ok":
            return f"mermaid.parse: {self.parse}"
        if self.thrown:
            return f"mermaid.run: {self.thrown}"
        if not self.svg:
            return "no SVG drawn"
        if self.kind == "error" or "Syntax error" in self.text:
            return f"an error diagram: {self.text[:200]}"
        return None


def chromium() -> str | None:
    return next((found for name in CHROMIUM if (found := shutil.which(name))), None)


def mermaid_dir() -> Path:
    default = Path.home() / ".cache" / "mlops-ci" / f"mermaid-{MERMAID_VERSION}"
    return Path(os.environ.get("MLOPS_CI_MERMAID_DIR") or default)


def mermaid_script() -> Path:
    return mermaid_dir() / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser tests: {reason}", pytrace=False)
    pytest.skip(reason)


def require_browser() -> Path:
    """Chromium and the pinned Mermaid (installed with npm when missing): the script's path."""
    if chromium() is None:
        _missing("no chromium on PATH (Debian's package `chromium`)")
    script = mermaid_script()
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        _missing(f"no npm on PATH to install mermaid@{MERMAID_VERSION}")
        raise AssertionError("unreachable")
    folder = mermaid_dir()
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--no-save",
         f"mermaid@{MERMAID_VERSION}"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    if done.returncode != 0 or not script.is_file():
        _missing(f"npm could not install mermaid@{MERMAID_VERSION}: {done.stderr[-500:]}")
    return script


def github_html(markdown: str) -> str:
    """The HTML GitHub's engine makes of ``markdown`` (code blocks as ``<pre lang>``)."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    options = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_GITHUB_PRE_LANG
    return str(cmarkgfm.github_flavored_markdown_to_html(markdown, options=options))


def draw(markdown: str, folder: Path, name: str = "page") -> list[Drawn]:
    """Every Mermaid block of ``markdown`` drawn in Chromium; the page and its screenshot are
    written to ``folder`` (``NAME.html``, ``NAME.png``)."""
    script = require_browser()
    browser = chromium()
    assert browser is not None
    page = folder / f"{name}.html"
    body = github_html(markdown) + _SCRIPT % {"mermaid": script.as_uri()}
    page.write_text(f'<!doctype html><html><head><meta charset="utf-8"></head><body>{body}'
                    "</body></html>", encoding="utf-8")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--allow-file-access-from-files", "--virtual-time-budget=20000",
             f"--user-data-dir={folder / 'chromium-profile'}"]
    dumped = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True,
                            text=True, timeout=180, check=False)
    found = _RESULT.search(dumped.stdout)
    assert found is not None, f"chromium gave no result: {dumped.stderr[-2000:]}"
    import html

    results = json.loads(html.unescape(found.group(1)) or "[]")
    subprocess.run([*flags, "--window-size=1000,4000", f"--screenshot={folder / name}.png",
                    page.as_uri()], capture_output=True, timeout=180, check=False)
    return [Drawn(**item) for item in results]
