"""wsdissect: see a WebSocket connection live on the wire, packet by packet."""
__version__ = "0.1.0"
