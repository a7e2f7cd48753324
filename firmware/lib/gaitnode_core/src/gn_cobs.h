/* gn_cobs.h - Consistent Overhead Byte Stuffing (Cheshire & Baker 1999), the frame delimiter layer.
 *
 * Encoded data has no 0x00 byte, so 0x00 ends a frame on the wire. The same algorithm as the
 * `cobs` package on PyPI (cobs.cobs.encode/decode); shared test vectors check both sides.
 */
#ifndef GN_COBS_H
#define GN_COBS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bound on the encoded size of n bytes (no delimiter): the exact worst case is n + ceil(n / 254),
 * at least 1; the macro adds one byte of slack so it is a safe bound for any n. */
#define GN_COBS_MAX_ENCODED(n) ((n) + ((n) + 253u) / 254u + 1u)

/* Encode in[n] into out (capacity cap; no overlap with in). Returns the encoded length, 0 when cap
 * is too small. Byte-identical to cobs.cobs.encode: a run of 254 non-zero bytes that ends the
 * input gets no trailing 0x01 code; an empty input encodes to the single byte 0x01. */
uint32_t gn_cobs_encode(const uint8_t *in, uint32_t n, uint8_t *out, uint32_t cap);

/* Incremental encoder: the same output as gn_cobs_encode of the concatenated pieces, without
 * a copy of the whole input (gn_frame_encode feeds header, payload and CRC separately). */
typedef struct {
    uint8_t *out;
    uint32_t cap, len; /* bytes written so far (including the open block's code slot) */
    uint32_t code_at;  /* index of the open block's code byte */
    uint8_t code;      /* 1 + data bytes in the open block */
    uint8_t open;      /* a block is open */
    uint8_t need_final; /* input is empty or ended in a 0x00: a final (empty) block follows */
    uint8_t failed;    /* out ran full */
} gn_cobs_writer;

void gn_cobs_writer_init(gn_cobs_writer *w, uint8_t *out, uint32_t cap);
/* Append in[n] to the encoding. */
void gn_cobs_writer_put(gn_cobs_writer *w, const uint8_t *in, uint32_t n);
/* Close the encoding. Returns its length, 0 when out was too small at any point. */
uint32_t gn_cobs_writer_finish(gn_cobs_writer *w);

/* Decode in[n] (no delimiter) into out (capacity cap; may alias in). Returns the decoded length,
 * or -1 when the input is not valid COBS (a 0x00 byte, a code running past the end) or out is too small. */
int32_t gn_cobs_decode(const uint8_t *in, uint32_t n, uint8_t *out, uint32_t cap);

#ifdef __cplusplus
}
#endif

#endif /* GN_COBS_H */
