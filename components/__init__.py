"""Components of the Entra ID -> Cloudflare Zero Trust stack, one module per concept."""
