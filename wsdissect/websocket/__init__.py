"""RFC 6455 framing, message assembly and permessage-deflate for one direction of a connection."""
from .frames import FrameParser
from .messages import WebSocketDirection

__all__ = ["FrameParser", "WebSocketDirection"]
