/* gn_crc16.h - CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor).
 *
 * The same CRC as crcmod's predefined 'crc-ccitt-false' on the host; check value of "123456789"
 * is 0x29B1. Table-free (bitwise) so it costs no flash for a table; frames are short.
 */
#ifndef GN_CRC16_H
#define GN_CRC16_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GN_CRC16_INIT 0xFFFFu

/* Continue crc over data[n]; start with GN_CRC16_INIT. */
uint16_t gn_crc16_update(uint16_t crc, const uint8_t *data, uint32_t n);

/* CRC of data[n] from GN_CRC16_INIT. */
uint16_t gn_crc16(const uint8_t *data, uint32_t n);

#ifdef __cplusplus
}
#endif

#endif /* GN_CRC16_H */
