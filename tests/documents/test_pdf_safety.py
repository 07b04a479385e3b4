
"""B8 and B16 for the renderer itself: herbert.documents.renderer.render_pdf fetches nothing but data: URIs, embeds no
files, writes a tagged PDF with a title and language, and a render that runs too long is killed.

These feed raw, unescaped hostile HTML straight to the renderer: the templates escape user text, but
the renderer must be safe even if they did not.
"""

import ast
import base64
import io
import time
from pathlib import Path

import pypdf
import pytest

from herbert.documents import renderer
from tests.support.http_servers import CountingServer
from tests.support.pdfs import embedded_files, pdf_text

ROOT = Path(__file__).resolve().parents[2]
TINY_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode()


@pytest.fixture
def server():
    with CountingServer() as running:
        yield running


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    path = tmp_path / "canary.txt"
    path.write_text("CANARY-7f3a9c-SHOULD-NEVER-APPEAR")
    (tmp_path / "canary.css").write_text("body::after { content: 'CANARY-7f3a9c-SHOULD-NEVER-APPEAR' }")
    return path


def hostile_html(server_url: str, canary: Path) -> str:
    file_url = canary.as_uri()
    css_url = canary.with_suffix(".css").as_uri()
    return f"""<!doctype html>
<html lang="en-GB"><head><title>hostile</title>
<base href="{server_url}/base/">
<link rel="stylesheet" href="{server_url}/style.css">
<link rel="stylesheet" href="{css_url}">
<link rel="stylesheet" href="relative.css">
<link rel="attachment" href="{server_url}/attach.bin" title="a">
<link rel="attachment" href="{file_url}">
<link rel="attachment" href="data:text/plain;base64,{base64.b64encode(b"attached secret").decode()}">
<style>
@import url("{server_url}/import.css");
@import "{css_url}";
@font-face {{ font-family: x; src: url("{server_url}/font.woff"); }}
body {{ background: url("{server_url}/bg.png"); font-family: x, sans-serif; }}
p::before {{ content: url("{file_url}"); }}
li {{ list-style-image: url("{server_url}/bullet.png"); }}
</style></head>
<body>
<p>Hello <a href="{server_url}/link">link</a></p>
<img src="{server_url}/img.png" alt="">
<img src="{file_url}" alt="">
<img src="file:///etc/passwd" alt="">
<img src="../../../../etc/passwd" alt="">
<img src="data:image/png;base64,{TINY_PNG}" alt="a dot">
<a rel="attachment" href="{server_url}/a-attach.bin">attach</a>
<a rel="attachment" href="{file_url}" download="canary.txt">attach file</a>
<a rel="attachment" href="data:text/plain,inline%20secret" download="x.txt">attach data</a>
<object data="{server_url}/object.png" type="image/png"></object>
<embed src="{server_url}/embed.png" type="image/png">
<iframe src="{server_url}/frame.html"></iframe>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
  <image href="{server_url}/svg.png" width="10" height="10"/></svg>
<ul><li>item</li></ul>
<div style="background-image: url('{server_url}/inline.png')">inline style</div>
</body></html>"""


def test_hostile_html_fetches_nothing_and_embeds_nothing(server: CountingServer, canary: Path):
    document = renderer.render_pdf(hostile_html(server.url, canary), title="Hostile", timeout=60)

    time.sleep(0.2)  # let any stray request land before counting
    assert server.requests == []
    reader = pypdf.PdfReader(io.BytesIO(document))
    assert embedded_files(reader) == []
    assert b"CANARY-7f3a9c" not in document
    text = pdf_text(document)
    assert "CANARY-7f3a9c" not in text
    assert "root:" not in text  # /etc/passwd
    assert "Hello" in text


def test_the_fetcher_refuses_everything_but_data_uris():
    fetcher = renderer._data_only_fetcher()
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1/",
        "https://example.com/",
        "ftp://example.com/x",
        "FILE:///etc/passwd",
        "relative.png",
        "/etc/passwd",
        "javascript:alert(1)",
    ):
        with pytest.raises(renderer.FetchRefused):
            fetcher.fetch(url)
    response = fetcher.fetch("data:text/plain,ok")
    assert response.read() == b"ok"


def test_the_pdf_is_tagged_with_title_and_language():
    html = '<html lang="fr"><head><title>ignored</title></head><body><h1>Heading</h1><p>Text</p></body></html>'
    document = renderer.render_pdf(html, title="The real title", lang="en-GB")
    reader = pypdf.PdfReader(io.BytesIO(document))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title == "The real title"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert "Heading" in pdf_text(document)  # text is real, selectable text


def test_a_render_past_the_time_limit_is_killed_and_the_worker_replaced(caplog: pytest.LogCaptureFixture):
    pool = renderer.render_pool()
    renderer.render_pdf("<p>warm</p>", title="warm")
    before = set(pool.worker_pids())
    replaced = pool.replaced
    # An unbreakable 100,000-character word with overflow-wrap: anywhere takes WeasyPrint minutes.
    pathological = f"<style>p {{ overflow-wrap: anywhere }}</style><p>{'x' * 100_000}</p>"

    started = time.perf_counter()
    with pytest.raises(renderer.PdfTimeout):
        renderer.render_pdf(pathological, title="slow", timeout=1)
    assert time.perf_counter() - started < 5
    assert pool.replaced == replaced + 1
    logged = [record.getMessage() for record in caplog.records if record.name == "herbert.documents.renderer"]
    assert any("timed out" in message for message in logged)
    assert not any("xxxxxxxx" in message for message in logged)  # the event, never the document's text

    # The next render works, in a different worker process.
    assert pypdf.PdfReader(io.BytesIO(renderer.render_pdf("<p>after</p>", title="after"))).pages
    assert not (set(pool.worker_pids()) & before) or len(before) > 1


def test_a_render_error_is_reported_without_the_documents_text(caplog: pytest.LogCaptureFixture):
    with pytest.raises(renderer.PdfError) as error:
        renderer.render_pdf("<p>fine</p>", title="x", lang="\ud800")  # a lone surrogate cannot be encoded
    assert "\ud800" not in str(error.value)


def test_the_timeout_comes_from_the_app_config(app):
    app.config["PDF_TIMEOUT_SECONDS"] = 0.5
    with app.app_context(), pytest.raises(renderer.PdfTimeout):
        renderer.render_pdf(f"<style>p {{ overflow-wrap: anywhere }}</style><p>{'y' * 100_000}</p>", title="slow")


# --- B16: nothing else may call WeasyPrint -----------------------------------------------------------

SCANNED = ("herbert", "tests", "bench", "scripts")
ALLOWED = {ROOT / "herbert" / "documents" / "renderer.py"}


def weasyprint_uses(path: Path) -> list[str]:
    """Imports of weasyprint (any form) and attribute access / names that reach it."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "weasyprint"]
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] == "weasyprint":
                found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Name) and node.id == "weasyprint":
            found.append("weasyprint name")
        elif isinstance(node, ast.Call):
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            if name in {"__import__", "import_module"} and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and str(arg.value).split(".")[0] == "weasyprint":
                    found.append(f"{name}('weasyprint')")
    return found


def test_only_the_renderer_imports_or_calls_weasyprint():
    offenders = {}
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path in ALLOWED:
                continue
            if uses := weasyprint_uses(path):
                offenders[str(path.relative_to(ROOT))] = uses
    assert offenders == {}


def test_the_scan_would_catch_a_direct_call(tmp_path: Path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("import importlib\nfrom weasyprint import HTML\nimportlib.import_module('weasyprint')\n")
    assert len(weasyprint_uses(sneaky)) == 2
    assert weasyprint_uses(ROOT / "herbert" / "documents" / "renderer.py")  # the allowed one uses it
