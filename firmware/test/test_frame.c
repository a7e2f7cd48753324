/* test_frame.c - frame encoding and the byte-wise decoder: shared vectors, error streams, fuzzing. */
#include <stdint.h>
#include <string.h>

#include "gn_crc16.h"
#include "gn_frame.h"
#include "gn_test.h"
#include "protocol_vectors.h"

static uint8_t wire[GN_FRAME_MAX_WIRE + 16u];
static gn_frame_decoder dec;

static uint32_t lcg_state = 2024u;
static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state >> 8;
}

static int frames_equal(const gn_frame *a, uint8_t version, uint8_t type, uint16_t seq, uint64_t t_us,
                        const uint8_t *payload, uint32_t len)
{
    return a->version == version && a->type == type && a->seq == seq && a->t_us == t_us && a->len == len &&
           (len == 0u || memcmp(a->payload, payload, len) == 0);
}

/* Feed data[n]; the result of the last byte. Fails the test when an earlier byte gave a result. */
static gn_frame_result feed_all(const uint8_t *data, uint32_t n, gn_frame *out)
{
    gn_frame_result r = GN_FRAME_NONE;
    for (uint32_t i = 0; i < n; ++i) {
        r = gn_frame_decoder_feed(&dec, data[i], out);
        if (i + 1u < n) {
            GN_CHECK_EQ_INT(r, GN_FRAME_NONE);
        }
    }
    return r;
}

static void test_message_vectors_encode(void)
{
    GN_CHECK(GN_VEC_N_MESSAGES >= 13u);
    for (uint32_t i = 0; i < GN_VEC_N_MESSAGES; ++i) {
        const gn_vec_message *v = &gn_vec_messages[i];
        gn_test_current = v->name;
        const gn_frame f = {GN_PROTOCOL_VERSION, v->type, v->seq, v->t_us, v->payload, (uint16_t)v->payload_len};
        const uint32_t n = gn_frame_encode(&f, wire, sizeof wire);
        GN_CHECK_EQ_INT(n, v->wire_len);
        GN_CHECK(n == v->wire_len && memcmp(wire, v->wire, n) == 0);
        GN_CHECK(n <= GN_FRAME_MAX_WIRE);
        GN_CHECK_EQ_INT(wire[n - 1u], 0);
        GN_CHECK(memchr(wire, 0, n - 1u) == NULL);
    }
}

static void test_message_vectors_decode(void)
{
    gn_frame_decoder_init(&dec);
    for (uint32_t i = 0; i < GN_VEC_N_MESSAGES; ++i) {
        const gn_vec_message *v = &gn_vec_messages[i];
        gn_test_current = v->name;
        gn_frame out;
        memset(&out, 0, sizeof out);
        GN_CHECK_EQ_INT(feed_all(v->wire, v->wire_len, &out), GN_FRAME_OK);
        GN_CHECK(frames_equal(&out, GN_PROTOCOL_VERSION, v->type, v->seq, v->t_us, v->payload, v->payload_len));
    }
    GN_CHECK_EQ_INT(dec.frames_ok, GN_VEC_N_MESSAGES);
    GN_CHECK_EQ_INT(dec.err_cobs + dec.err_short + dec.err_oversized + dec.err_crc, 0);
}

static void test_encode_limits(void)
{
    static uint8_t payload[GN_MAX_PAYLOAD + 1u];
    memset(payload, 0xA5, sizeof payload);
    gn_frame f = {GN_PROTOCOL_VERSION, GN_MSG_LOG, 1u, 2u, payload, GN_MAX_PAYLOAD};
    const uint32_t n = gn_frame_encode(&f, wire, sizeof wire);
    GN_CHECK(n > 0u && n <= GN_FRAME_MAX_WIRE);
    /* Too small by any amount: 0, and nothing written past cap. */
    for (uint32_t cap = 0; cap < n; cap += 1u + cap / 4u) {
        memset(wire, 0xEE, sizeof wire);
        GN_CHECK_EQ_INT(gn_frame_encode(&f, wire, cap), 0);
        GN_CHECK_EQ_INT(wire[cap], 0xEE);
    }
    GN_CHECK_EQ_INT(gn_frame_encode(&f, wire, n), n);
    f.len = GN_MAX_PAYLOAD + 1u;
    GN_CHECK_EQ_INT(gn_frame_encode(&f, wire, sizeof wire), 0);
    f.payload = NULL;
    f.len = 3u;
    GN_CHECK_EQ_INT(gn_frame_encode(&f, wire, sizeof wire), 0);
    f.len = 0u;
    GN_CHECK(gn_frame_encode(&f, wire, sizeof wire) > 0u);
}

static void test_streams(void)
{
    for (uint32_t s = 0; s < GN_VEC_N_STREAMS; ++s) {
        const gn_vec_stream *v = &gn_vec_streams[s];
        gn_test_current = v->name;
        gn_frame_decoder_init(&dec);
        uint32_t k = 0;
        for (uint32_t i = 0; i < v->wire_len; ++i) {
            gn_frame out;
            const gn_frame_result r = gn_frame_decoder_feed(&dec, v->wire[i], &out);
            if (r == GN_FRAME_NONE) {
                continue;
            }
            GN_CHECK(k < v->n_events);
            if (k >= v->n_events) {
                break;
            }
            const gn_vec_event *e = &v->events[k++];
            GN_CHECK_EQ_INT(r, e->result);
            if (r == GN_FRAME_OK) {
                GN_CHECK(frames_equal(&out, e->version, e->type, e->seq, e->t_us, e->payload, e->payload_len));
            } else {
                GN_CHECK_EQ_INT(dec.bad_type, e->type);
                GN_CHECK_EQ_INT(dec.bad_seq, e->seq);
            }
        }
        GN_CHECK_EQ_INT(k, v->n_events);
        GN_CHECK_EQ_INT(dec.frames_ok, v->ok);
        GN_CHECK_EQ_INT(dec.err_cobs, v->err_cobs);
        GN_CHECK_EQ_INT(dec.err_short, v->err_short);
        GN_CHECK_EQ_INT(dec.err_oversized, v->err_oversized);
        GN_CHECK_EQ_INT(dec.err_crc, v->err_crc);
    }
}

static void test_lone_delimiters_and_init(void)
{
    gn_frame_decoder_init(&dec);
    gn_frame out;
    for (int i = 0; i < 1000; ++i) {
        GN_CHECK_EQ_INT(gn_frame_decoder_feed(&dec, 0u, &out), GN_FRAME_NONE);
    }
    GN_CHECK_EQ_INT(dec.frames_ok + dec.err_cobs + dec.err_short + dec.err_oversized + dec.err_crc, 0);
    GN_CHECK_EQ_INT(dec.bad_type, 0xFF);
    GN_CHECK_EQ_INT(dec.bad_seq, 0);
}

static void test_oversized_boundary(void)
{
    /* GN_FRAME_MAX_WIRE - 1 non-zero bytes still fit (they end as some other error); one more overflows. */
    gn_frame_decoder_init(&dec);
    gn_frame out;
    for (uint32_t i = 0; i < GN_FRAME_MAX_WIRE - 1u; ++i) {
        GN_CHECK_EQ_INT(gn_frame_decoder_feed(&dec, 0x41u, &out), GN_FRAME_NONE);
    }
    GN_CHECK_EQ_INT(gn_frame_decoder_feed(&dec, 0u, &out), GN_FRAME_ERR_COBS);
    for (uint32_t i = 0; i < GN_FRAME_MAX_WIRE - 1u; ++i) {
        (void)gn_frame_decoder_feed(&dec, 0x41u, &out);
    }
    GN_CHECK_EQ_INT(gn_frame_decoder_feed(&dec, 0x41u, &out), GN_FRAME_ERR_OVERSIZED);
    for (int i = 0; i < 5000; ++i) {
        GN_CHECK_EQ_INT(gn_frame_decoder_feed(&dec, 0x41u, &out), GN_FRAME_NONE);
    }
    GN_CHECK_EQ_INT(gn_frame_decoder_feed(&dec, 0u, &out), GN_FRAME_NONE);
    GN_CHECK_EQ_INT(dec.err_oversized, 1);
    GN_CHECK_EQ_INT(dec.err_cobs, 1);
    const gn_vec_message *v = &gn_vec_messages[1];
    GN_CHECK_EQ_INT(feed_all(v->wire, v->wire_len, &out), GN_FRAME_OK);
}

/* ---- fuzzing ---- */

typedef struct {
    uint8_t version, type;
    uint16_t seq;
    uint64_t t_us;
    uint16_t len;
    uint8_t payload[GN_MAX_PAYLOAD];
} ref_frame;

static ref_frame ref;
static uint8_t stream[16384];
static uint32_t stream_len;
/* For each stream byte: 1 + index into the intact-frame list when it ends an intact frame. */
static uint16_t ends_intact[16384];
static ref_frame intact[64];
static uint32_t n_intact;

static void random_frame(ref_frame *f)
{
    f->version = (uint8_t)(lcg() % 8u == 0u ? lcg() : GN_PROTOCOL_VERSION);
    f->type = (uint8_t)lcg();
    f->seq = (uint16_t)lcg();
    f->t_us = ((uint64_t)lcg() << 40) ^ lcg();
    const uint32_t kind = lcg() % 4u;
    f->len = (uint16_t)(kind == 0u ? 0u : kind == 1u ? GN_MAX_PAYLOAD - lcg() % 4u : lcg() % (GN_MAX_PAYLOAD + 1u));
    const uint32_t zeros = lcg() % 3u; /* none, some, mostly zero payload bytes */
    for (uint32_t i = 0; i < f->len; ++i) {
        const uint32_t r = lcg() % 4u;
        f->payload[i] = (uint8_t)((zeros == 0u || (zeros == 1u && r != 0u)) ? 1u + lcg() % 255u : (r == 0u ? lcg() : 0u));
    }
}

static uint32_t room(void)
{
    return (uint32_t)sizeof stream - stream_len;
}

static void append(const uint8_t *b, uint32_t n)
{
    memcpy(stream + stream_len, b, n);
    for (uint32_t i = 0; i < n; ++i) {
        ends_intact[stream_len + i] = 0u;
    }
    stream_len += n;
}

static void build_stream(void)
{
    static uint8_t buf[GN_FRAME_MAX_WIRE + 600u];
    stream_len = 0u;
    n_intact = 0u;
    while (room() > sizeof buf + 2u && n_intact < 64u) {
        random_frame(&ref);
        const gn_frame f = {ref.version, ref.type, ref.seq, ref.t_us, ref.payload, ref.len};
        uint32_t n = gn_frame_encode(&f, buf, sizeof buf);
        switch (lcg() % 6u) {
        case 0: /* intact, after a delimiter so it cannot merge with earlier garbage */
        case 1: {
            const uint8_t z = 0u;
            append(&z, 1u);
            append(buf, n);
            intact[n_intact] = ref;
            ends_intact[stream_len - 1u] = (uint16_t)(1u + n_intact++);
            break;
        }
        case 2: { /* a few random bytes flipped (may hit the delimiter or create zeros) */
            const uint32_t k = 1u + lcg() % 4u;
            for (uint32_t j = 0; j < k; ++j) {
                buf[lcg() % n] ^= (uint8_t)(1u + lcg() % 255u);
            }
            append(buf, n);
            break;
        }
        case 3: /* truncated, or with its tail cut and glued to the next */
            n = lcg() % n;
            append(buf, n);
            break;
        case 4: { /* random garbage, sometimes longer than any frame */
            n = lcg() % 2u ? lcg() % 40u : lcg() % (uint32_t)sizeof buf;
            const uint32_t zero_odds = lcg() % 3u; /* 0: no zeros */
            for (uint32_t j = 0; j < n; ++j) {
                buf[j] = (uint8_t)((zero_odds && lcg() % (zero_odds * 50u) == 0u) ? 0u : 1u + lcg() % 255u);
            }
            append(buf, n);
            break;
        }
        default: { /* bytes inserted or deleted */
            const uint32_t at = lcg() % n;
            if (lcg() % 2u && n > 1u) {
                memmove(buf + at, buf + at + 1u, n - at - 1u);
                --n;
            } else {
                memmove(buf + at + 1u, buf + at, n - at);
                buf[at] = (uint8_t)lcg();
                ++n;
            }
            append(buf, n);
            break;
        }
        }
    }
    const uint8_t z = 0u;
    append(&z, 1u);
}

static void test_fuzz(void)
{
    uint32_t bad_counter = 0, bad_place = 0, bad_crc = 0, missed_intact = 0, chunks = 0, results = 0;
    uint32_t total_ok = 0, total_err = 0, total_intact = 0;
    for (int round = 0; round < 300; ++round) {
        build_stream();
        gn_frame_decoder_init(&dec);
        uint32_t chunk_len = 0;  /* bytes since the last delimiter */
        int reported = 0;        /* this chunk already gave its result (oversized) */
        total_intact += n_intact;
        for (uint32_t i = 0; i < stream_len; ++i) {
            const uint8_t b = stream[i];
            const uint32_t before[5] = {dec.frames_ok, dec.err_cobs, dec.err_short, dec.err_oversized, dec.err_crc};
            gn_frame out;
            const gn_frame_result r = gn_frame_decoder_feed(&dec, b, &out);
            const uint32_t after[5] = {dec.frames_ok, dec.err_cobs, dec.err_short, dec.err_oversized, dec.err_crc};
            /* exactly the counter of this result moved, by one */
            for (int c = 0; c < 5; ++c) {
                const uint32_t want = before[c] + (r != GN_FRAME_NONE && (int)r - 1 == c ? 1u : 0u);
                bad_counter += after[c] != want;
            }
            if (b != 0u) {
                ++chunk_len;
                if (r == GN_FRAME_ERR_OVERSIZED) {
                    bad_place += reported || chunk_len != GN_FRAME_MAX_WIRE;
                    reported = 1;
                    ++results;
                } else {
                    bad_place += r != GN_FRAME_NONE;
                }
                continue;
            }
            /* a delimiter: one result per non-empty chunk not yet reported, nothing otherwise */
            if (chunk_len > 0u) {
                ++chunks;
            }
            if (chunk_len > 0u && !reported) {
                bad_place += r == GN_FRAME_NONE;
            } else {
                bad_place += r != GN_FRAME_NONE;
            }
            if (r != GN_FRAME_NONE) {
                ++results;
            }
            if (r == GN_FRAME_OK) {
                ++total_ok;
                /* the CRC bytes follow the payload in the decoder's buffer */
                const uint8_t *body = out.payload - GN_FRAME_HEADER;
                const uint16_t want = (uint16_t)(out.payload[out.len] | (out.payload[out.len + 1u] << 8));
                bad_crc += out.len > GN_MAX_PAYLOAD || gn_crc16(body, GN_FRAME_HEADER + out.len) != want;
            } else if (r != GN_FRAME_NONE) {
                ++total_err;
            }
            if (ends_intact[i]) {
                const ref_frame *x = &intact[ends_intact[i] - 1u];
                missed_intact += r != GN_FRAME_OK ||
                                 !frames_equal(&out, x->version, x->type, x->seq, x->t_us, x->payload, x->len);
            }
            chunk_len = 0u;
            reported = 0;
        }
    }
    GN_CHECK_EQ_INT(bad_counter, 0);
    GN_CHECK_EQ_INT(bad_place, 0);
    GN_CHECK_EQ_INT(bad_crc, 0);
    GN_CHECK_EQ_INT(missed_intact, 0);
    GN_CHECK(chunks > 1000u && results >= chunks);
    /* the generator really produced both kinds */
    GN_CHECK(total_intact > 1000u && total_ok >= total_intact && total_err > 1000u);
}

static void test_resync_after_garbage(void)
{
    /* Any garbage, then a delimiter, then a good frame: the frame decodes. */
    const gn_vec_message *v = &gn_vec_messages[GN_VEC_N_MESSAGES - 1u];
    int missed = 0;
    for (int iter = 0; iter < 500; ++iter) {
        gn_frame_decoder_init(&dec);
        gn_frame out;
        const uint32_t n = lcg() % 2000u;
        for (uint32_t i = 0; i < n; ++i) {
            (void)gn_frame_decoder_feed(&dec, (uint8_t)lcg(), &out);
        }
        (void)gn_frame_decoder_feed(&dec, 0u, &out);
        gn_frame_result r = GN_FRAME_NONE;
        for (uint32_t i = 0; i < v->wire_len; ++i) {
            r = gn_frame_decoder_feed(&dec, v->wire[i], &out);
        }
        missed += r != GN_FRAME_OK ||
                  !frames_equal(&out, GN_PROTOCOL_VERSION, v->type, v->seq, v->t_us, v->payload, v->payload_len);
    }
    GN_CHECK_EQ_INT(missed, 0);
}

int main(void)
{
    GN_RUN(test_message_vectors_encode);
    GN_RUN(test_message_vectors_decode);
    GN_RUN(test_encode_limits);
    GN_RUN(test_streams);
    GN_RUN(test_lone_delimiters_and_init);
    GN_RUN(test_oversized_boundary);
    GN_RUN(test_fuzz);
    GN_RUN(test_resync_after_garbage);
    return gn_test_finish("frame");
}
