"""Real provider clients, their SDKs and provider instrumentations, against the local API."""
