"""The fuzz targets: raw bytes in, the oracle's verdict out (see oracles.py and inputs.py)."""

from collections.abc import Callable

from tests.fuzz import inputs, oracles


def request(data: bytes) -> None:
    oracles.check_request(*inputs.request(data))


def response(data: bytes) -> None:
    oracles.check_response(*inputs.response(data))


def sse(data: bytes) -> None:
    oracles.check_sse(inputs.sse(data))


def engine(data: bytes) -> None:
    oracles.check_engine(inputs.engine(data))


TARGETS: dict[str, Callable[[bytes], None]] = {"request": request, "response": response, "sse": sse, "engine": engine}
