"""Read a bundle from YAML or JSON, with errors that say where and why."""

import importlib.resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from guardmesh.config.models import Bundle

DEFAULT_BUNDLE = "default-bundle.yaml"
"""The safe default guard set shipped in this package; the Helm chart's default guards are the same."""


class ConfigError(ValueError):
    """A bundle that cannot be used; the message names the file and the field."""


def parse_bundle(text: str | bytes, source: str = "<bundle>") -> Bundle:
    """Parse and validate a bundle document (YAML, of which JSON is a subset)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a bundle is a mapping, got {type(data).__name__}")
    try:
        return Bundle.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{source}: {problems}") from None


def load_bundle(path: Path) -> Bundle:
    """Load a bundle file; a missing or unreadable file is a ConfigError."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_bundle(text, str(path))


def default_bundle() -> Bundle:
    """The bundle used when no file is given: the documented safe defaults shipped in `default-bundle.yaml`."""
    text = importlib.resources.files("guardmesh.config").joinpath(DEFAULT_BUNDLE).read_bytes()
    return parse_bundle(text, f"guardmesh.config/{DEFAULT_BUNDLE}")
