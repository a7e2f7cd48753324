// tflm_debug_log.cpp - where TensorFlow Lite Micro's text goes on the boards: nowhere.
//
// The serial port carries the binary protocol only (COBS frames), so TFLM must not print to it.
// platformio.ini builds with TF_LITE_STRIP_ERROR_STRINGS (MicroPrintf compiles to nothing) and
// ARDUINO_EXCLUDE_CODE (drops the TFLM Arduino library's own DebugLog, which prints to Serial);
// this definition satisfies any remaining reference. Inference failures reach the host as the
// node's infer_errors counter in TELEMETRY.
#include "tensorflow/lite/micro/debug_log.h"

extern "C" void DebugLog(const char *s) { (void)s; }
