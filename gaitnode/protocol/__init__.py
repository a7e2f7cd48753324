"""The serial protocol on the host side: frames (COBS + CRC-16) and message payloads (docs/protocol.md)."""
