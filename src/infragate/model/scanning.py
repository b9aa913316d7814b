"""An environment's OWASP scan settings (ICP-4.1): the engine and profile, how recent a scan must be for the
gate, and the hard limits every scan of it keeps to."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from infragate.model.base import Model

Engine = Literal["builtin", "own", "wapiti", "detectify", "zap"]
ENGINES: tuple[str, ...] = get_args(Engine)


class ScanSettings(Model):
    engine: Engine = Field(
        default="builtin", description="builtin: wapiti and infragate's own checks; own: infragate's checks only"
    )
    profile: Literal["quick", "standard", "full"] = Field(default="standard", description="Which wapiti modules run")
    max_age_days: int = Field(default=7, ge=1, le=90, description="ICP-4.1 needs a complete scan this recent")
    rate: float = Field(default=20.0, gt=0, le=500, description="Requests per second of infragate's own checks")
    max_requests: int = Field(default=5000, ge=10, le=1_000_000, description="Per endpoint, all engines together")
    max_duration_s: int = Field(default=900, ge=10, le=86_400, description="Per endpoint")
    max_pages: int = Field(default=200, ge=1, le=10_000, description="Pages crawled per endpoint")
