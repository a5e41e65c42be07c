"""wsdissect: see a WebSocket connection live on the wire, packet by packet."""
__version__ = "0.1.0"

from .pure import install as _install_pure     # noqa: E402 -- WSDISSECT_PURE=1: the core from its .py sources

_install_pure(__path__[0])
del _install_pure
