/* gn_cobs.c - COBS encoding and decoding, byte-identical to the `cobs` package (see gn_cobs.h). */
#include "gn_cobs.h"

void gn_cobs_writer_init(gn_cobs_writer *w, uint8_t *out, uint32_t cap)
{
    w->out = out;
    w->cap = cap;
    w->len = 0u;
    w->code_at = 0u;
    w->code = 1u;
    w->open = 0u;
    w->need_final = 1u; /* an empty input still encodes to one code byte */
    w->failed = 0u;
}

void gn_cobs_writer_put(gn_cobs_writer *w, const uint8_t *in, uint32_t n)
{
    for (uint32_t i = 0; i < n && !w->failed; ++i) {
        if (!w->open) {
            /* Blocks open lazily: a 254-byte run that ends the input leaves no empty block behind. */
            if (w->len >= w->cap) {
                w->failed = 1u;
                break;
            }
            w->code_at = w->len++;
            w->code = 1u;
            w->open = 1u;
        }
        const uint8_t b = in[i];
        if (b == 0u) {
            w->out[w->code_at] = w->code;
            w->open = 0u;
            w->need_final = 1u;
        } else {
            if (w->len >= w->cap) {
                w->failed = 1u;
                break;
            }
            w->out[w->len++] = b;
            ++w->code;
            if (w->code == 0xFFu) {
                w->out[w->code_at] = 0xFFu;
                w->open = 0u;
                w->need_final = 0u;
            }
        }
    }
}

uint32_t gn_cobs_writer_finish(gn_cobs_writer *w)
{
    if (w->failed) {
        return 0u;
    }
    if (w->open) {
        w->out[w->code_at] = w->code;
        w->open = 0u;
    } else if (w->need_final) {
        if (w->len >= w->cap) {
            w->failed = 1u;
            return 0u;
        }
        w->out[w->len++] = 1u;
    }
    w->need_final = 0u;
    return w->len;
}

uint32_t gn_cobs_encode(const uint8_t *in, uint32_t n, uint8_t *out, uint32_t cap)
{
    gn_cobs_writer w;
    gn_cobs_writer_init(&w, out, cap);
    gn_cobs_writer_put(&w, in, n);
    return gn_cobs_writer_finish(&w);
}

int32_t gn_cobs_decode(const uint8_t *in, uint32_t n, uint8_t *out, uint32_t cap)
{
    /* Writes never overtake reads (each block reads its code byte before writing anything), so
     * out may alias in. */
    uint32_t i = 0u, o = 0u;
    if (n > 0x7FFFFFFFu) {
        return -1;
    }
    while (i < n) {
        const uint32_t code = in[i++];
        if (code == 0u) {
            return -1;
        }
        const uint32_t end = i + code - 1u;
        if (end > n) {
            return -1;
        }
        for (; i < end; ++i) {
            const uint8_t b = in[i];
            if (b == 0u || o >= cap) {
                return -1;
            }
            out[o++] = b;
        }
        if (i < n && code < 0xFFu) {
            if (o >= cap) {
                return -1;
            }
            out[o++] = 0u;
        }
    }
    return (int32_t)o;
}
