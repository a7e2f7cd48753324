/* test_cobs.c - COBS against the shared vectors (made by the `cobs` package), edge cases, round trips. */
#include <stdint.h>
#include <string.h>

#include "gn_cobs.h"
#include "gn_test.h"
#include "protocol_vectors.h"

#define BIG 1200u

static uint8_t in_buf[BIG], enc_buf[GN_COBS_MAX_ENCODED(BIG)], dec_buf[BIG + 8u];

static uint32_t lcg_state = 12345u;
static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state >> 8;
}

static void test_shared_vectors(void)
{
    GN_CHECK(GN_VEC_N_COBS_VALID >= 10u);
    for (uint32_t i = 0; i < GN_VEC_N_COBS_VALID; ++i) {
        const gn_vec_cobs *v = &gn_vec_cobs_valid[i];
        gn_test_current = v->name;
        const uint32_t n = gn_cobs_encode(v->decoded, v->decoded_len, enc_buf, sizeof enc_buf);
        GN_CHECK_EQ_INT(n, v->encoded_len);
        GN_CHECK(n == v->encoded_len && memcmp(enc_buf, v->encoded, n) == 0);
        GN_CHECK(n <= GN_COBS_MAX_ENCODED(v->decoded_len));
        const int32_t d = gn_cobs_decode(v->encoded, v->encoded_len, dec_buf, sizeof dec_buf);
        GN_CHECK_EQ_INT(d, v->decoded_len);
        GN_CHECK(d == (int32_t)v->decoded_len && (d == 0 || memcmp(dec_buf, v->decoded, (size_t)d) == 0));
    }
}

static void test_invalid_vectors(void)
{
    for (uint32_t i = 0; i < GN_VEC_N_COBS_INVALIDS; ++i) {
        const gn_vec_cobs_invalid *v = &gn_vec_cobs_invalids[i];
        gn_test_current = v->name;
        GN_CHECK_EQ_INT(gn_cobs_decode(v->encoded, v->encoded_len, dec_buf, sizeof dec_buf), -1);
    }
}

static void test_capacity(void)
{
    /* Every capacity below the needed size fails cleanly, without writing past it. */
    for (uint32_t i = 0; i < GN_VEC_N_COBS_VALID; ++i) {
        const gn_vec_cobs *v = &gn_vec_cobs_valid[i];
        gn_test_current = v->name;
        for (uint32_t cap = 0; cap < v->encoded_len; cap += 1u + cap / 8u) {
            memset(enc_buf, 0xEE, sizeof enc_buf);
            GN_CHECK_EQ_INT(gn_cobs_encode(v->decoded, v->decoded_len, enc_buf, cap), 0);
            GN_CHECK_EQ_INT(enc_buf[cap], 0xEE);
        }
        for (uint32_t cap = 0; cap < v->decoded_len; cap += 1u + cap / 8u) {
            memset(dec_buf, 0xEE, sizeof dec_buf);
            GN_CHECK_EQ_INT(gn_cobs_decode(v->encoded, v->encoded_len, dec_buf, cap), -1);
            GN_CHECK_EQ_INT(dec_buf[cap], 0xEE);
        }
    }
}

static void test_decode_in_place(void)
{
    for (uint32_t i = 0; i < GN_VEC_N_COBS_VALID; ++i) {
        const gn_vec_cobs *v = &gn_vec_cobs_valid[i];
        gn_test_current = v->name;
        memcpy(enc_buf, v->encoded, v->encoded_len);
        const int32_t d = gn_cobs_decode(enc_buf, v->encoded_len, enc_buf, (uint32_t)sizeof enc_buf);
        GN_CHECK_EQ_INT(d, v->decoded_len);
        GN_CHECK(d == (int32_t)v->decoded_len && (d == 0 || memcmp(enc_buf, v->decoded, (size_t)d) == 0));
    }
}

static void test_random_round_trips(void)
{
    /* Random lengths 0..BIG with zero densities from none to all: encode has no 0x00, stays within
     * the bound, and decodes back (also through the writer fed in random pieces). */
    static uint8_t enc2[GN_COBS_MAX_ENCODED(BIG)];
    int bad = 0;
    for (int iter = 0; iter < 2000; ++iter) {
        const uint32_t n = lcg() % (BIG + 1u);
        const uint32_t zero_per_256 = lcg() % 257u;
        for (uint32_t i = 0; i < n; ++i) {
            in_buf[i] = (lcg() % 256u) < zero_per_256 ? 0u : (uint8_t)(1u + lcg() % 255u);
        }
        const uint32_t e = gn_cobs_encode(in_buf, n, enc_buf, sizeof enc_buf);
        if (e == 0u || e > GN_COBS_MAX_ENCODED(n) || memchr(enc_buf, 0, e) != NULL) {
            ++bad;
            continue;
        }
        const int32_t d = gn_cobs_decode(enc_buf, e, dec_buf, sizeof dec_buf);
        if (d != (int32_t)n || (n > 0u && memcmp(dec_buf, in_buf, n) != 0)) {
            ++bad;
        }
        gn_cobs_writer w;
        gn_cobs_writer_init(&w, enc2, sizeof enc2);
        uint32_t pos = 0;
        while (pos < n) {
            uint32_t k = lcg() % 300u;
            k = k > n - pos ? n - pos : k;
            gn_cobs_writer_put(&w, in_buf + pos, k);
            pos += k;
        }
        const uint32_t e2 = gn_cobs_writer_finish(&w);
        if (e2 != e || memcmp(enc2, enc_buf, e) != 0) {
            ++bad;
        }
    }
    GN_CHECK_EQ_INT(bad, 0);
}

static void test_random_decode_never_overruns(void)
{
    /* Arbitrary bytes: decode either fails or returns a length within cap (ASan checks the rest). */
    int bad = 0;
    for (int iter = 0; iter < 3000; ++iter) {
        const uint32_t n = lcg() % 600u;
        for (uint32_t i = 0; i < n; ++i) {
            in_buf[i] = (uint8_t)(lcg() % 8u == 0u ? 0u : lcg());
        }
        const uint32_t cap = lcg() % 700u;
        const int32_t d = gn_cobs_decode(in_buf, n, dec_buf, cap);
        if (d < -1 || d > (int32_t)cap) {
            ++bad;
        }
        if (d >= 0 && memchr(in_buf, 0, n) != NULL) {
            ++bad; /* a 0x00 is never valid COBS */
        }
    }
    GN_CHECK_EQ_INT(bad, 0);
}

int main(void)
{
    GN_RUN(test_shared_vectors);
    GN_RUN(test_invalid_vectors);
    GN_RUN(test_capacity);
    GN_RUN(test_decode_in_place);
    GN_RUN(test_random_round_trips);
    GN_RUN(test_random_decode_never_overruns);
    return gn_test_finish("cobs");
}
