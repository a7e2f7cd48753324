/* gn_crc16.c - CRC-16/CCITT-FALSE, bitwise (see gn_crc16.h). */
#include "gn_crc16.h"

uint16_t gn_crc16_update(uint16_t crc, const uint8_t *data, uint32_t n)
{
    uint32_t c = crc;
    for (uint32_t i = 0; i < n; ++i) {
        c ^= (uint32_t)data[i] << 8;
        for (int bit = 0; bit < 8; ++bit) {
            c = (c & 0x8000u) ? ((c << 1) ^ 0x1021u) : (c << 1);
        }
        c &= 0xFFFFu;
    }
    return (uint16_t)c;
}

uint16_t gn_crc16(const uint8_t *data, uint32_t n)
{
    return gn_crc16_update(GN_CRC16_INIT, data, n);
}
