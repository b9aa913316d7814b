"""Provisioning: plan, apply, verify and destroy an environment so that AWS matches its design (ICP-2.1–2.3).

``diff`` compares the design with the live inventory (pure); ``plan`` is the resulting data with a digest;
``handlers`` know how to create, change and delete each kind of resource; ``executor`` runs changes in
dependency order and in parallel; ``service`` ties them together for the CLI. Imports policy, design,
inventory, model, aws and errors.
"""
