/* gn_frame.h - one protocol frame: header + payload + CRC, COBS-encoded, 0x00-terminated.
 *
 * Decoded layout (little-endian; docs/protocol.md):
 *   0  u8   protocol version (GN_PROTOCOL_VERSION)
 *   1  u8   message type (gn_msg.h)
 *   2  u16  sequence number (per sender, +1 per frame, wraps)
 *   4  u64  sender timestamp, microseconds (device: its clock; host: free, usually 0)
 *   12 ...  payload, 0..GN_MAX_PAYLOAD bytes
 *   end u16 CRC-16/CCITT-FALSE of everything before it
 * On the wire: COBS(decoded) followed by one 0x00 byte.
 */
#ifndef GN_FRAME_H
#define GN_FRAME_H

#include <stdint.h>

#include "gn_cobs.h"
#include "gn_config.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GN_PROTOCOL_VERSION 1u
/* Protocol version 1 caps payloads at 480 bytes: the host sizes its decoder for that. A board may
 * use a smaller GN_MAX_PAYLOAD (INFO's max_batch tells the host), never a larger one. */
#define GN_PROTOCOL_MAX_PAYLOAD 480u
#if GN_MAX_PAYLOAD > 480
#error "GN_MAX_PAYLOAD must not exceed the protocol's 480 bytes"
#endif
#define GN_FRAME_HEADER 12u
#define GN_FRAME_CRC 2u
#define GN_FRAME_MAX_DECODED (GN_FRAME_HEADER + GN_MAX_PAYLOAD + GN_FRAME_CRC)
/* Encoded bytes of the largest frame, delimiter included. */
#define GN_FRAME_MAX_WIRE (GN_COBS_MAX_ENCODED(GN_FRAME_MAX_DECODED) + 1u)

typedef struct {
    uint8_t version;
    uint8_t type;
    uint16_t seq;
    uint64_t t_us;
    const uint8_t *payload; /* decoder: points into the decoder's buffer, valid until the next feed */
    uint16_t len;           /* payload bytes */
} gn_frame;

/* Encode f (its version field is written as given) into out[cap] with the trailing 0x00.
 * Returns the bytes written, 0 when len > GN_MAX_PAYLOAD or cap is too small. */
uint32_t gn_frame_encode(const gn_frame *f, uint8_t *out, uint32_t cap);

/* Outcome of feeding one byte. Errors are per frame: the decoder resynchronises at the next 0x00. */
typedef enum {
    GN_FRAME_NONE = 0,      /* need more bytes */
    GN_FRAME_OK = 1,        /* *out holds a frame with a good CRC (any version: the caller checks it) */
    GN_FRAME_ERR_COBS = 2,  /* invalid COBS */
    GN_FRAME_ERR_SHORT = 3, /* fewer than header + CRC bytes (a lone 0x00 delimiter is ignored, not an error) */
    GN_FRAME_ERR_OVERSIZED = 4, /* more than GN_FRAME_MAX_WIRE - 1 bytes before a delimiter (reported
                                 * at the first byte too many; the rest up to the 0x00 is dropped),
                                 * or a decoded frame longer than GN_FRAME_MAX_DECODED */
    GN_FRAME_ERR_CRC = 5        /* CRC mismatch */
} gn_frame_result;

typedef struct {
    uint8_t buf[GN_FRAME_MAX_WIRE];
    uint32_t len;
    uint8_t overflow; /* discarding until the next 0x00 */
    /* counters since init */
    uint32_t frames_ok, err_cobs, err_short, err_oversized, err_crc;
    /* type and seq of the last bad frame when its header was readable (valid COBS, at least 4
     * decoded bytes: CRC errors, short frames of 4+ bytes, decoded-too-long frames), else 0xFF / 0 */
    uint8_t bad_type;
    uint16_t bad_seq;
} gn_frame_decoder;

void gn_frame_decoder_init(gn_frame_decoder *d);

/* Feed one received byte. On GN_FRAME_OK, *out is filled (payload points into d->buf). */
gn_frame_result gn_frame_decoder_feed(gn_frame_decoder *d, uint8_t byte, gn_frame *out);

#ifdef __cplusplus
}
#endif

#endif /* GN_FRAME_H */
