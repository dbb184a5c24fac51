"""Who is calling: people proven by OIDC access tokens, machines by API keys (contract §9)."""
