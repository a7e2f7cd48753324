/* gn_config.h - compile-time sizes of the core's fixed buffers.
 *
 * The board header generated from boards.yaml (`gaitnode boards header --board B`, see
 * firmware/README.md) defines them for each board; the build names it with
 * -DGN_BOARD_HEADER="gn_board_<board>.h". Without a board header the defaults below apply (unit
 * tests of single stages). Every size is checked here so a bad board entry fails at compile time.
 */
#ifndef GN_CONFIG_H
#define GN_CONFIG_H

#ifdef GN_BOARD_HEADER
#include GN_BOARD_HEADER
#endif

/* Raw samples the ISR->loop ring holds; a power of two. */
#ifndef GN_RING_CAPACITY
#define GN_RING_CAPACITY 256
#endif
/* Longest model input window (samples) and most input channels of any model. */
#ifndef GN_MAX_WINDOW
#define GN_MAX_WINDOW 128
#endif
#ifndef GN_MAX_CHANNELS
#define GN_MAX_CHANNELS 9
#endif
/* Most models one node runs. */
#ifndef GN_MAX_MODELS
#define GN_MAX_MODELS 4
#endif
/* Largest frame payload (bytes) either side sends or accepts. */
#ifndef GN_MAX_PAYLOAD
#define GN_MAX_PAYLOAD 480
#endif
/* Bytes the node may queue for the UART before it drops whole frames (counted). */
#ifndef GN_TX_BUFFER
#define GN_TX_BUFFER 4096
#endif

#if (GN_RING_CAPACITY & (GN_RING_CAPACITY - 1)) != 0 || GN_RING_CAPACITY < 2
#error "GN_RING_CAPACITY must be a power of two >= 2"
#endif
#if GN_MAX_CHANNELS < 1 || GN_MAX_CHANNELS > 9
#error "GN_MAX_CHANNELS must be 1..9 (acc, gyr, mag x/y/z)"
#endif
#if GN_MAX_WINDOW < 1 || GN_MAX_WINDOW > 1024
#error "GN_MAX_WINDOW must be 1..1024"
#endif
#if GN_MAX_PAYLOAD < 64 || GN_MAX_PAYLOAD > 1024
#error "GN_MAX_PAYLOAD must be 64..1024"
#endif

#endif /* GN_CONFIG_H */
