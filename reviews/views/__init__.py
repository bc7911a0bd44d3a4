"""The pages of the review, one module per concern."""
