"""Reads of the reviews app that pages and API share, one module per concern."""
