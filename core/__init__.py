"""The shared core below `ingest/` and `assistant/`: settings, the domain profile, places, text
normalisation, tokens, the embedder factory and the store. Neither package imports the other's internals."""
