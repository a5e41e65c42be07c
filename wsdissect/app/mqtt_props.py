"""MQTT tables: packet type names, MQTT 5.0 properties (id -> name, type) and reason codes (sans-IO data).

Property names are the specification's, written in snake case as JSON keys (`session_expiry_interval`); reason
code names are the specification's English names (MQTT 5.0 section 2.4; MQTT 3.1.1's CONNACK return codes),
data like the IANA names of WebSocket close codes.
"""
from __future__ import annotations

TYPES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL", 7: "PUBCOMP",
         8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP",
         14: "DISCONNECT", 15: "AUTH"}
# The fixed header's low four bits each type must carry (PUBLISH's are its dup, QoS and retain).
FLAGS = {1: 0, 2: 0, 4: 0, 5: 0, 6: 2, 7: 0, 8: 2, 9: 0, 10: 2, 11: 0, 12: 0, 13: 0, 14: 0, 15: 0}
# CONNECT's protocol level -> the version it names.
VERSIONS = {3: "3.1", 4: "3.1.1", 5: "5.0"}

# Property value types: byte, two-byte integer, four-byte integer, variable byte integer, UTF-8 string,
# binary data, string pair.
BYTE, U16, U32, VARINT, STR, BIN, PAIR = "byte", "u16", "u32", "varint", "str", "bin", "pair"
PROPERTIES = {
    0x01: ("payload_format_indicator", BYTE), 0x02: ("message_expiry_interval", U32),
    0x03: ("content_type", STR), 0x08: ("response_topic", STR), 0x09: ("correlation_data", BIN),
    0x0B: ("subscription_identifier", VARINT), 0x11: ("session_expiry_interval", U32),
    0x12: ("assigned_client_identifier", STR), 0x13: ("server_keep_alive", U16),
    0x15: ("authentication_method", STR), 0x16: ("authentication_data", BIN),
    0x17: ("request_problem_information", BYTE), 0x18: ("will_delay_interval", U32),
    0x19: ("request_response_information", BYTE), 0x1A: ("response_information", STR),
    0x1C: ("server_reference", STR), 0x1F: ("reason_string", STR), 0x21: ("receive_maximum", U16),
    0x22: ("topic_alias_maximum", U16), 0x23: ("topic_alias", U16), 0x24: ("maximum_qos", BYTE),
    0x25: ("retain_available", BYTE), 0x26: ("user_property", PAIR), 0x27: ("maximum_packet_size", U32),
    0x28: ("wildcard_subscription_available", BYTE), 0x29: ("subscription_identifier_available", BYTE),
    0x2A: ("shared_subscription_available", BYTE),
}
# Binary properties shown by their length only (a secret may be in them).
SECRET = frozenset({"authentication_data"})

REASONS = {
    0x00: "Success", 0x01: "Granted QoS 1", 0x02: "Granted QoS 2", 0x04: "Disconnect with Will Message",
    0x10: "No matching subscribers", 0x11: "No subscription existed", 0x18: "Continue authentication",
    0x19: "Re-authenticate", 0x80: "Unspecified error", 0x81: "Malformed Packet", 0x82: "Protocol Error",
    0x83: "Implementation specific error", 0x84: "Unsupported Protocol Version",
    0x85: "Client Identifier not valid", 0x86: "Bad User Name or Password", 0x87: "Not authorized",
    0x88: "Server unavailable", 0x89: "Server busy", 0x8A: "Banned", 0x8B: "Server shutting down",
    0x8C: "Bad authentication method", 0x8D: "Keep Alive timeout", 0x8E: "Session taken over",
    0x8F: "Topic Filter invalid", 0x90: "Topic Name invalid", 0x91: "Packet Identifier in use",
    0x92: "Packet Identifier not found", 0x93: "Receive Maximum exceeded", 0x94: "Topic Alias invalid",
    0x95: "Packet too large", 0x96: "Message rate too high", 0x97: "Quota exceeded",
    0x98: "Administrative action", 0x99: "Payload format invalid", 0x9A: "Retain not supported",
    0x9B: "QoS not supported", 0x9C: "Use another server", 0x9D: "Server moved",
    0x9E: "Shared Subscriptions not supported", 0x9F: "Connection rate exceeded", 0xA0: "Maximum connect time",
    0xA1: "Subscription Identifiers not supported", 0xA2: "Wildcard Subscriptions not supported",
}
# Code 0 is named by the packet it is in.
ZERO = {"DISCONNECT": "Normal disconnection", "SUBACK": "Granted QoS 0"}
CONNACK_V3 = {0: "Connection Accepted", 1: "Unacceptable protocol version", 2: "Identifier rejected",
              3: "Server unavailable", 4: "Bad user name or password", 5: "Not authorized"}
SUBACK_V3 = {0: "Granted QoS 0", 1: "Granted QoS 1", 2: "Granted QoS 2", 0x80: "Failure"}


def reason_name(code: int, packet: str, version: int) -> str:
    """The name of a CONNACK return code, SUBACK return code or MQTT 5 reason code; 'unknown' when it has none."""
    if version < 5:
        table = CONNACK_V3 if packet == "CONNACK" else SUBACK_V3 if packet == "SUBACK" else {}
        return table.get(code, "unknown")
    if code == 0 and packet in ZERO:
        return ZERO[packet]
    return REASONS.get(code, "unknown")
