/* gn_frame.c - frame encoding and the byte-wise frame decoder (layout in gn_frame.h). */
#include "gn_frame.h"

#include "gn_crc16.h"

uint32_t gn_frame_encode(const gn_frame *f, uint8_t *out, uint32_t cap)
{
    if (f->len > GN_MAX_PAYLOAD || (f->len > 0u && f->payload == 0) || cap < 1u) {
        return 0u;
    }
    uint8_t head[GN_FRAME_HEADER];
    head[0] = f->version;
    head[1] = f->type;
    head[2] = (uint8_t)(f->seq & 0xFFu);
    head[3] = (uint8_t)(f->seq >> 8);
    for (unsigned i = 0; i < 8u; ++i) {
        head[4u + i] = (uint8_t)(f->t_us >> (8u * i));
    }
    uint16_t crc = gn_crc16_update(GN_CRC16_INIT, head, GN_FRAME_HEADER);
    crc = gn_crc16_update(crc, f->payload, f->len);
    const uint8_t tail[GN_FRAME_CRC] = {(uint8_t)(crc & 0xFFu), (uint8_t)(crc >> 8)};

    /* COBS straight from the three pieces: no copy of the decoded frame; the delimiter fits after. */
    gn_cobs_writer w;
    gn_cobs_writer_init(&w, out, cap - 1u);
    gn_cobs_writer_put(&w, head, GN_FRAME_HEADER);
    gn_cobs_writer_put(&w, f->payload, f->len);
    gn_cobs_writer_put(&w, tail, GN_FRAME_CRC);
    const uint32_t n = gn_cobs_writer_finish(&w);
    if (n == 0u) {
        return 0u;
    }
    out[n] = 0u;
    return n + 1u;
}

void gn_frame_decoder_init(gn_frame_decoder *d)
{
    d->len = 0u;
    d->overflow = 0u;
    d->frames_ok = 0u;
    d->err_cobs = 0u;
    d->err_short = 0u;
    d->err_oversized = 0u;
    d->err_crc = 0u;
    d->bad_type = 0xFFu;
    d->bad_seq = 0u;
}

static void set_bad(gn_frame_decoder *d, int32_t n)
{
    if (n >= 4) {
        d->bad_type = d->buf[1];
        d->bad_seq = (uint16_t)(d->buf[2] | (d->buf[3] << 8));
    } else {
        d->bad_type = 0xFFu;
        d->bad_seq = 0u;
    }
}

/* A delimiter ended d->buf[0..len): decode in place and check. */
static gn_frame_result finish(gn_frame_decoder *d, gn_frame *out)
{
    const int32_t n = gn_cobs_decode(d->buf, d->len, d->buf, (uint32_t)sizeof d->buf);
    d->len = 0u;
    if (n < 0) {
        set_bad(d, -1);
        ++d->err_cobs;
        return GN_FRAME_ERR_COBS;
    }
    set_bad(d, n);
    if ((uint32_t)n < GN_FRAME_HEADER + GN_FRAME_CRC) {
        ++d->err_short;
        return GN_FRAME_ERR_SHORT;
    }
    if ((uint32_t)n > GN_FRAME_MAX_DECODED) {
        /* Zero runs decode longer than their encoding: a valid-COBS chunk can still be too long. */
        ++d->err_oversized;
        return GN_FRAME_ERR_OVERSIZED;
    }
    const uint32_t body = (uint32_t)n - GN_FRAME_CRC;
    const uint16_t want = (uint16_t)(d->buf[body] | (d->buf[body + 1u] << 8));
    if (gn_crc16(d->buf, body) != want) {
        ++d->err_crc;
        return GN_FRAME_ERR_CRC;
    }
    out->version = d->buf[0];
    out->type = d->buf[1];
    out->seq = (uint16_t)(d->buf[2] | (d->buf[3] << 8));
    uint64_t t = 0u;
    for (unsigned i = 0; i < 8u; ++i) {
        t |= (uint64_t)d->buf[4u + i] << (8u * i);
    }
    out->t_us = t;
    out->payload = d->buf + GN_FRAME_HEADER;
    out->len = (uint16_t)(body - GN_FRAME_HEADER);
    ++d->frames_ok;
    return GN_FRAME_OK;
}

gn_frame_result gn_frame_decoder_feed(gn_frame_decoder *d, uint8_t byte, gn_frame *out)
{
    if (byte == 0u) {
        if (d->overflow) {
            d->overflow = 0u; /* the oversized frame was reported when it overflowed */
            d->len = 0u;
            return GN_FRAME_NONE;
        }
        if (d->len == 0u) {
            return GN_FRAME_NONE; /* lone delimiter (idle line, or a sender flushing) */
        }
        return finish(d, out);
    }
    if (d->overflow) {
        return GN_FRAME_NONE;
    }
    if (d->len >= GN_FRAME_MAX_WIRE - 1u) {
        d->overflow = 1u;
        d->len = 0u;
        d->bad_type = 0xFFu;
        d->bad_seq = 0u;
        ++d->err_oversized;
        return GN_FRAME_ERR_OVERSIZED;
    }
    d->buf[d->len++] = byte;
    return GN_FRAME_NONE;
}
