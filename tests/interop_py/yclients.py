"""Connected sessions of the two Python Yjs stacks under test, driven the way
an application would drive them: a document, the library's own
`WebsocketProvider`, and a WebSocket to the server's y-websocket endpoint.

* `PycrdtSession`: pycrdt + pycrdt-websocket's `WebsocketProvider`.
* `YpySession`: y-py + ypy-websocket's `WebsocketProvider`.

Neither provider reports "synced", so the transport handed to it watches the
y-websocket sync messages going each way (message type 0; sub-type 0 is
step 1, a state vector; 1 is step 2, the missing updates).
"""

from __future__ import annotations

import asyncio
import re
import time

import pycrdt
import y_py as Y
from pycrdt import XmlElement, XmlFragment, XmlText
from pycrdt_websocket import WebsocketProvider as PycrdtProvider
from websockets.asyncio.client import connect
from ypy_websocket import WebsocketProvider as YpyProvider

SYNC, STEP1, STEP2 = 0, 0, 1


def _var_uint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


async def wait_until(check, timeout: float = 10.0, what: str = "condition", interval: float = 0.02):
    """Polls `check()` until it returns something truthy; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


class Transport:
    """The `Websocket` protocol both providers expect (path, send, recv and
    async iteration), over a `websockets` client connection, counting sync
    messages in each direction."""

    def __init__(self, ws, path: str) -> None:
        self._ws = ws
        self._path = path
        self.sent_step2 = 0
        self.received_step2 = 0

    @property
    def path(self) -> str:
        return self._path

    def __aiter__(self):
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self.recv()
        except Exception:
            raise StopAsyncIteration() from None

    async def send(self, message: bytes) -> None:
        message = bytes(message)
        if len(message) > 1 and message[0] == SYNC and message[1] == STEP2:
            self.sent_step2 += 1
        await self._ws.send(message)

    async def recv(self) -> bytes:
        message = await self._ws.recv()
        if isinstance(message, str):
            message = message.encode()
        message = bytes(message)
        if len(message) > 1 and message[0] == SYNC and message[1] == STEP2:
            self.received_step2 += 1
        return message


def _strip_tags(xml: str) -> str:
    return re.sub(r"<[^>]*>", "", xml)


class Session:
    """One client connected to one document; use as `async with`."""

    name = "?"

    def __init__(self, url: str) -> None:
        self.url = url
        self.transport: Transport | None = None
        self._ws = None
        self._provider = None

    # Library-specific parts.
    def _new_provider(self, transport: Transport):
        raise NotImplementedError

    def state_vector(self) -> bytes:
        raise NotImplementedError

    def blocks(self) -> list[str]:
        """Text of every text block of the `default` XmlFragment, in order
        (the same units the server's plain-text rendering joins with newlines)."""
        raise NotImplementedError

    def append_paragraph(self, text: str) -> None:
        raise NotImplementedError

    def text(self) -> str:
        return "\n".join(self.blocks())

    async def __aenter__(self) -> Session:
        self._ws = await connect(self.url, max_size=None, open_timeout=10)
        self.transport = Transport(self._ws, self.url.split("?")[0])
        self._provider = self._new_provider(self.transport)
        await self._provider.__aenter__()
        # Synced: the server answered our state vector with what we lacked.
        await wait_until(lambda: self.transport.received_step2 >= 1, what=f"{self.name}: sync step 2 from the server")
        return self

    async def settle(self) -> None:
        """Returns once the server has processed everything this client sent
        so far: after the client answered the server's state vector (its
        sync step 2 — what it believes the server lacks), a fresh sync step
        1 is sent and its answer awaited; messages of one connection are
        handled in order."""
        t = self.transport
        await wait_until(lambda: t.sent_step2 >= 1, what=f"{self.name}: its reply to the server's sync step 1")
        # Let the provider's send task flush updates it queued meanwhile
        # (both providers also forward every applied remote change).
        await asyncio.sleep(0.25)
        before = t.received_step2
        sv = self.state_vector()
        await t.send(bytes([SYNC, STEP1]) + _var_uint(len(sv)) + sv)
        await wait_until(lambda: t.received_step2 > before, what=f"{self.name}: answer to the barrier sync step 1")

    async def __aexit__(self, *exc) -> None:
        try:
            await self._provider.__aexit__(None, None, None)
        finally:
            await self._ws.close()


class PycrdtSession(Session):
    name = "pycrdt-websocket"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.doc = pycrdt.Doc()

    def _new_provider(self, transport):
        return PycrdtProvider(self.doc, transport)

    def state_vector(self) -> bytes:
        return self.doc.get_state()

    def _fragment(self) -> XmlFragment:
        return self.doc.get("default", type=XmlFragment)

    def blocks(self) -> list[str]:
        out: list[str] = []

        def walk(node) -> None:
            children = list(node.children)
            if any(isinstance(c, XmlText) for c in children):
                parts = []
                for c in children:
                    if isinstance(c, XmlText):
                        parts.append("".join(chunk for chunk, _ in c.diff() if isinstance(chunk, str)))
                    elif isinstance(c, XmlElement) and c.tag == "hardBreak":
                        parts.append("\n")
                out.append("".join(parts))
                return
            for c in children:
                if isinstance(c, XmlElement):
                    walk(c)

        walk(self._fragment())
        return out

    def append_paragraph(self, text: str) -> None:
        p = self._fragment().children.append(XmlElement("paragraph"))
        p.children.append(XmlText(text))


class YpySession(Session):
    name = "ypy-websocket"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.doc = Y.YDoc()

    def _new_provider(self, transport):
        return YpyProvider(self.doc, transport)

    def state_vector(self) -> bytes:
        return Y.encode_state_vector(self.doc)

    def _root(self):
        # y-py 0.6 has no XmlFragment type; an XmlElement handle on the same
        # root name reads (and edits) the fragment's children.
        return self.doc.get_xml_element("default")

    def blocks(self) -> list[str]:
        out: list[str] = []

        def children(node):
            c = node.first_child
            while c is not None:
                yield c
                c = c.next_sibling

        def walk(node) -> None:
            kids = list(children(node))
            if any(isinstance(c, Y.YXmlText) for c in kids):
                parts = []
                for c in kids:
                    if isinstance(c, Y.YXmlText):
                        parts.append(_strip_tags(str(c)))
                    elif c.name == "hardBreak":
                        parts.append("\n")
                out.append("".join(parts))
                return
            for c in kids:
                if isinstance(c, Y.YXmlElement):
                    walk(c)

        walk(self._root())
        return out

    def append_paragraph(self, text: str) -> None:
        root = self._root()
        with self.doc.begin_transaction() as txn:
            p = root.push_xml_element(txn, "paragraph")
            t = p.push_xml_text(txn)
            t.push(txn, text)


SESSIONS = {"pycrdt": PycrdtSession, "ypy": YpySession}
