"""The base model every spec shares: camelCase on the wire, snake_case in Python, no unknown keys."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Spec(BaseModel):
    """A strict, immutable model whose JSON field names are camelCase, as Kubernetes resources are."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )
