"""A small scripted OpenAI-compatible HTTP server on 127.0.0.1 for end-to-end tests of the API paths.

Queue replies with `server.script(...)`; each request pops one. A reply is either a text (sent as a
normal or streamed chat completion, as the request asks) or a fault: a status code with optional
headers/body, a delay longer than the client's timeout, malformed JSON, or a stream cut half-way.
Embedding requests get deterministic vectors. Every request is recorded in `server.requests`.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # raw body, for malformed replies
    delay: float = 0.0
    cut_stream_after: int | None = None  # chunks sent before the connection is dropped


class FakeOpenAI:
    def __init__(self, dim: int = 32) -> None:
        self.dim = dim
        self.queue: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append({"path": self.path, "json": payload,
                                            "authorization": self.headers.get("Authorization", "")})
                if self.path.endswith("/embeddings"):
                    self._embeddings(payload)
                elif self.path.endswith("/chat/completions"):
                    self._chat(payload)
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def _send(self, status: int, obj: Any, headers: dict[str, str] | None = None, raw: str | None = None) -> None:
                data = (raw if raw is not None else json.dumps(obj, ensure_ascii=False)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _embeddings(self, payload: dict[str, Any]) -> None:
                inputs = payload["input"] if isinstance(payload["input"], list) else [payload["input"]]
                data = []
                for i, text in enumerate(inputs):
                    h = hashlib.sha256(str(text).encode()).digest()
                    vec = [(h[j % len(h)] - 128) / 128 for j in range(server.dim)]
                    data.append({"object": "embedding", "index": i, "embedding": vec})
                self._send(200, {"object": "list", "data": data, "model": payload.get("model"),
                                 "usage": {"prompt_tokens": 1, "total_tokens": 1}})

            def _chat(self, payload: dict[str, Any]) -> None:
                with server._lock:
                    reply = server.queue.pop(0) if server.queue else Reply(text="")
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200 or reply.body is not None:
                    self._send(reply.status, {"error": {"message": f"scripted {reply.status}"}},
                               reply.headers, raw=reply.body)
                    return
                model = payload.get("model", "fake")
                if not payload.get("stream"):
                    self._send(200, {
                        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": reply.text}}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    })
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                pieces = [reply.text[i : i + 8] for i in range(0, len(reply.text), 8)] or [""]
                for n, piece in enumerate(pieces):
                    if reply.cut_stream_after is not None and n >= reply.cut_stream_after:
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)  # the peer sees the stream end mid-way
                        self.close_connection = True
                        return
                    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self._chunk(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n")
                end = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self._chunk(f"data: {json.dumps(end)}\n\n")
                self._chunk("data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")

            def _chunk(self, s: str) -> None:
                data = s.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def script(self, *replies: Reply | str) -> None:
        with self._lock:
            self.queue.extend(r if isinstance(r, Reply) else Reply(text=r) for r in replies)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
