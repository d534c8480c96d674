"""Security review at a glance: the stack's security rules as a Pulumi policy pack.

Run locally with `pulumi preview --policy-pack policy` (add
`--policy-pack-config policy/prod-config.json` for a production stack); see docs/security.md, "The policy pack".
The rules themselves live in rules.py, so tests can call them without starting the pack.
"""

from pulumi_policy import EnforcementLevel, PolicyPack
from rules import POLICIES

# Every rule blocks the deployment unless it says otherwise (PKCE is advisory outside prod).
PolicyPack(
    name="entra-cloudflare-security",
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
)
