/* test_crc16.c - CRC-16/CCITT-FALSE against the catalogue check value and the shared vectors. */
#include <stdint.h>
#include <string.h>

#include "gn_crc16.h"
#include "gn_test.h"
#include "protocol_vectors.h"

static void test_check_value(void)
{
    /* The published check value, independent of the generated vectors. */
    const char *s = "123456789";
    GN_CHECK_EQ_INT(gn_crc16((const uint8_t *)s, (uint32_t)strlen(s)), 0x29B1);
    GN_CHECK_EQ_INT(gn_crc16(NULL, 0u), GN_CRC16_INIT);
}

static void test_shared_vectors(void)
{
    GN_CHECK(GN_VEC_N_CRCS >= 5u);
    for (uint32_t i = 0; i < GN_VEC_N_CRCS; ++i) {
        const gn_vec_crc *v = &gn_vec_crcs[i];
        gn_test_current = v->name;
        GN_CHECK_EQ_INT(gn_crc16(v->data, v->len), v->crc);
    }
}

static void test_incremental(void)
{
    /* Any split of the input gives the CRC of the whole. */
    static uint8_t data[300];
    for (uint32_t i = 0; i < sizeof data; ++i) {
        data[i] = (uint8_t)(i * 37u + 11u);
    }
    const uint16_t whole = gn_crc16(data, sizeof data);
    for (uint32_t cut = 0; cut <= sizeof data; cut += 7u) {
        const uint16_t a = gn_crc16_update(GN_CRC16_INIT, data, cut);
        GN_CHECK_EQ_INT(gn_crc16_update(a, data + cut, (uint32_t)sizeof data - cut), whole);
    }
}

static void test_detects_single_bit_errors(void)
{
    /* A CRC-16 with this polynomial catches every single-bit error in a frame-sized block. */
    static uint8_t data[494];
    for (uint32_t i = 0; i < sizeof data; ++i) {
        data[i] = (uint8_t)(i ^ 0x5Au);
    }
    const uint16_t good = gn_crc16(data, sizeof data);
    int missed = 0;
    for (uint32_t bit = 0; bit < 8u * sizeof data; bit += 3u) {
        data[bit / 8u] ^= (uint8_t)(1u << (bit % 8u));
        missed += gn_crc16(data, sizeof data) == good;
        data[bit / 8u] ^= (uint8_t)(1u << (bit % 8u));
    }
    GN_CHECK_EQ_INT(missed, 0);
}

int main(void)
{
    GN_RUN(test_check_value);
    GN_RUN(test_shared_vectors);
    GN_RUN(test_incremental);
    GN_RUN(test_detects_single_bit_errors);
    return gn_test_finish("crc16");
}
