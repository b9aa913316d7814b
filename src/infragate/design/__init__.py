"""The design stage's input: design files (desired state) loaded into typed models.

Owns the YAML format, per-environment overrides, reference checks and the JSON Schema. Produces
``infragate.model`` objects; must not import policy, inventory, AWS or anything above it.
"""

from infragate.design.document import json_schema
from infragate.design.loader import load_design, parse_design
from infragate.design.model import Design, EnvironmentDesign

__all__ = ["Design", "EnvironmentDesign", "json_schema", "load_design", "parse_design"]
