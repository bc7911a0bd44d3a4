"""The API fuzz: schemathesis against the portal's own OpenAPI schema, as every role (see test_api_fuzz.py)."""
