"""The review API, one module per concern."""
