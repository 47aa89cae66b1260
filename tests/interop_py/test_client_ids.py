"""Python Yjs clients that hold client ids in 32 bits must not duplicate
content the server wrote itself.

The server writes some content under its own client id: the initial body of
a new document and the change a restore makes. pycrdt 0.12 and y-py 0.6
truncate a client id to 32 bits when they decode an update, so if the
server's id is wider, such a client holds that content under a different
(truncated) id. On sync it then answers the server's state vector with that
content as if it were new, the server merges it as another client's insert,
and every reader sees the paragraphs twice.

Each test compares the server's rendering before and after one of these
clients connected, synced and left; and checks that the client itself saw
the same blocks as the server. The live-editing test shows that the same
harness does observe real sync between the two libraries and the server.
"""

from __future__ import annotations

import asyncio

import pycrdt
import pytest
from pycrdt import XmlElement, XmlFragment, XmlText

from yclients import SESSIONS, PycrdtSession, YpySession, wait_until

MARKDOWN_BODY = "# Title\n\nFirst paragraph with **bold**.\n\n- one\n- two\n"
HTML_BODY = "<h1>Title</h1><p>First paragraph with <strong>bold</strong>.</p><ul><li><p>one</p></li><li><p>two</p></li></ul>"
EXPECTED_TEXT = "Title\nFirst paragraph with bold.\none\ntwo"
TEST_TIMEOUT = 60


def run(coro):
    """Runs one test's client code with an overall time bound."""
    return asyncio.run(asyncio.wait_for(coro, TEST_TIMEOUT))


async def visit(session_cls, url: str) -> list[str]:
    """Connects, syncs, lets the client send back whatever it believes the
    server lacks, then leaves; returns the blocks the client saw."""
    async with session_cls(url) as s:
        await s.settle()
        return s.blocks()


def _server_view(server, token, doc_id):
    return {fmt: server.content(token, doc_id, fmt) for fmt in ("text", "markdown")}


@pytest.mark.parametrize("client", sorted(SESSIONS))
@pytest.mark.parametrize("body_format", ["markdown", "html"])
def test_initial_body_is_not_duplicated_by_a_visit(server, owner, client, body_format):
    body = MARKDOWN_BODY if body_format == "markdown" else HTML_BODY
    doc_id = server.create_document(owner, body=body, body_format=body_format)
    before = _server_view(server, owner, doc_id)
    assert before["text"] == EXPECTED_TEXT

    seen = run(visit(SESSIONS[client], server.ws_url(doc_id, owner)))

    after = _server_view(server, owner, doc_id)
    assert after["text"] == before["text"], (
        f"{client} duplicated server-written content:\n--- before\n{before['text']}\n--- after\n{after['text']}"
    )
    assert after["markdown"] == before["markdown"]
    # What the client holds is what the server holds.
    assert "\n".join(seen) == after["text"]


@pytest.mark.parametrize("client", sorted(SESSIONS))
def test_several_documents_survive_a_visit(server, owner, client):
    # The server's id is random; several documents make a lucky narrow id
    # (which would hide the problem) vanishingly unlikely.
    ids = [server.create_document(owner, body=MARKDOWN_BODY, body_format="markdown") for _ in range(5)]
    for doc_id in ids:
        run(visit(SESSIONS[client], server.ws_url(doc_id, owner)))
    texts = {doc_id: server.content(owner, doc_id, "text") for doc_id in ids}
    wrong = {k: v for k, v in texts.items() if v != EXPECTED_TEXT}
    assert not wrong, f"{len(wrong)} of {len(ids)} documents changed by a {client} visit: {wrong}"


@pytest.mark.parametrize("client", sorted(SESSIONS))
def test_content_under_a_32_bit_client_id_survives_a_visit(server, owner, client):
    # Control for the tests above: the same visit leaves alone content whose
    # client id fits in 32 bits (here posted over HTTP), so a duplication
    # they report comes from the width of the id that wrote the content.
    author = pycrdt.Doc(client_id=0xFFFF_FFF0)
    frag = author.get("default", type=XmlFragment)
    p = frag.children.append(XmlElement("paragraph"))
    p.children.append(XmlText("written under a 32-bit id"))
    doc_id = server.create_document(owner)
    server.post_update(owner, doc_id, author.get_update())
    before = server.content(owner, doc_id)
    assert before == "written under a 32-bit id"

    seen = run(visit(SESSIONS[client], server.ws_url(doc_id, owner)))

    assert server.content(owner, doc_id) == before
    assert seen == [before]


@pytest.mark.parametrize("client", sorted(SESSIONS))
def test_restored_content_is_not_duplicated_by_a_visit(server, owner, client):
    doc_id = server.create_document(owner)
    url = server.ws_url(doc_id, owner)

    async def edit(change):
        async with PycrdtSession(url) as s:
            change(s)
            await s.settle()

    run(edit(lambda s: s.append_paragraph("kept paragraph")))
    assert server.content(owner, doc_id) == "kept paragraph"
    version = server.save_version(owner, doc_id, "v1")

    def replace(s):
        frag = s._fragment()
        del frag.children[0]
        s.append_paragraph("later paragraph")

    run(edit(replace))
    assert server.content(owner, doc_id) == "later paragraph"
    # The restore re-inserts "kept paragraph" under a server-side client id.
    server.restore(owner, doc_id, version)
    before = server.content(owner, doc_id)
    assert before == "kept paragraph"

    seen = run(visit(SESSIONS[client], url))

    after = server.content(owner, doc_id)
    assert after == before, f"{client} duplicated restored content:\n--- before\n{before}\n--- after\n{after}"
    assert "\n".join(seen) == after


def test_live_edits_reach_the_server_and_the_other_library(server, owner):
    doc_id = server.create_document(owner)
    url = server.ws_url(doc_id, owner)

    async def scenario():
        async with PycrdtSession(url) as a, YpySession(url) as b:
            a.append_paragraph("typed with pycrdt")
            await wait_until(lambda: "typed with pycrdt" in b.blocks(), what="y-py to see the pycrdt edit")
            b.append_paragraph("typed with y-py")
            await wait_until(lambda: "typed with y-py" in a.blocks(), what="pycrdt to see the y-py edit")
            await a.settle()
            await b.settle()
            return a.blocks(), b.blocks()

    seen_a, seen_b = run(scenario())
    assert seen_a == seen_b == ["typed with pycrdt", "typed with y-py"]
    assert server.content(owner, doc_id) == "typed with pycrdt\ntyped with y-py"

    # A third client, arriving later, gets the same document from the server.
    later = run(visit(PycrdtSession, url))
    assert later == ["typed with pycrdt", "typed with y-py"]
