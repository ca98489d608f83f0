"""The two errors of the HTTP/1.1 layer: a body over its limit, and an upstream that failed us."""


class TooLarge(Exception):
    """A body passed the caller's limit; reading stopped there and the connection will not be reused."""


class UpstreamBroken(ConnectionError):
    """The upstream refused, reset or closed the connection, or sent bytes that are not HTTP/1.1."""
