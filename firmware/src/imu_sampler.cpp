/* imu_sampler.cpp - the sample clock: hardware timer -> reader task/thread -> imu_sensor_read ->
 * gn_node_imu_isr. See imu_provider.h for why the read is not done in the interrupt itself. */
#include <Arduino.h>

#include "imu_provider.h"

#if GN_IMU_PART_NONE
#error "this board has no IMU (imu.part: none in boards.yaml): it is built as the host twin, not with PlatformIO"
#endif

static gn_node *g_node;
static int16_t g_raw[GN_AXES]; /* last good sample (held when a read fails, keeping the time base) */
static uint32_t g_running;     /* 1 between start and stop (atomic) */
static uint32_t g_busy;        /* 1 while the reader may push (atomic; stop waits for 0) */

/* Reader context: handle `ticks` timer periods (more than 1 when the reader fell behind). */
static void read_and_push(uint32_t ticks) {
    __atomic_store_n(&g_busy, 1u, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&g_running, __ATOMIC_SEQ_CST)) {
        (void)imu_sensor_read(g_raw);
        /* One push per tick: gn_node_imu_isr stamps consecutive sample indices, so sample
         * index / rate stays the time each sample belongs to even after a late read. */
        for (uint32_t i = 0; i < ticks; ++i) gn_node_imu_isr(g_node, g_raw);
    }
    __atomic_store_n(&g_busy, 0u, __ATOMIC_SEQ_CST);
}

/* Stop helper: after this no push is in progress and none will start. */
static void wait_reader_idle(void) {
    __atomic_store_n(&g_running, 0u, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&g_busy, __ATOMIC_SEQ_CST)) delay(1);
}

#if defined(ARDUINO_ARCH_ESP32)
/* ---- ESP32 / ESP32-S3: hardware timer 0 notifies a FreeRTOS task on core 0 ---- */
static hw_timer_t *g_timer;
static TaskHandle_t g_task;

static void IRAM_ATTR on_timer(void) {
    BaseType_t woken = pdFALSE;
    vTaskNotifyGiveFromISR(g_task, &woken);
    if (woken) portYIELD_FROM_ISR();
}

static void reader_task(void *arg) {
    (void)arg;
    for (;;) {
        uint32_t ticks = ulTaskNotifyTake(pdTRUE, portMAX_DELAY); /* ticks since the last wake-up */
        if (ticks) read_and_push(ticks);
    }
}

static int clock_begin(void) {
    /* Core 0 (the Arduino loop runs on core 1), highest priority: the read starts within
     * microseconds of the tick. 4 KB of stack (ESP-IDF counts it in bytes). */
    return xTaskCreatePinnedToCore(reader_task, "gn_imu", 4096, nullptr, configMAX_PRIORITIES - 1, &g_task, 0) ==
                   pdPASS
               ? 0
               : 1;
}

static void clock_start(uint16_t rate_hz) {
    uint32_t period_us = 1000000u / rate_hz;
#if defined(ESP_ARDUINO_VERSION_MAJOR) && ESP_ARDUINO_VERSION_MAJOR >= 3
    g_timer = timerBegin(1000000); /* 1 MHz */
    timerAttachInterrupt(g_timer, &on_timer);
    timerAlarm(g_timer, period_us, true, 0);
#else
    g_timer = timerBegin(0, 80, true); /* 80 MHz APB / 80 = 1 MHz */
    timerAttachInterrupt(g_timer, &on_timer, true);
    timerAlarmWrite(g_timer, period_us, true);
    timerAlarmEnable(g_timer);
#endif
}

static void clock_stop(void) {
    if (g_timer == nullptr) return;
#if !(defined(ESP_ARDUINO_VERSION_MAJOR) && ESP_ARDUINO_VERSION_MAJOR >= 3)
    timerAlarmDisable(g_timer);
#endif
    timerDetachInterrupt(g_timer);
    timerEnd(g_timer);
    g_timer = nullptr;
}

#elif defined(ARDUINO_NRF52_ADAFRUIT)
/* ---- nRF52840 DK, Adafruit core (FreeRTOS): NRF_TIMER3 compare IRQ notifies a task ----
 * TIMER0 belongs to the SoftDevice; TIMER3 is not used by the core. */
static TaskHandle_t g_task;

extern "C" void TIMER3_IRQHandler(void) {
    if (NRF_TIMER3->EVENTS_COMPARE[0]) {
        NRF_TIMER3->EVENTS_COMPARE[0] = 0;
        (void)NRF_TIMER3->EVENTS_COMPARE[0]; /* read back: the event is cleared before the IRQ returns */
        BaseType_t woken = pdFALSE;
        vTaskNotifyGiveFromISR(g_task, &woken);
        portYIELD_FROM_ISR(woken);
    }
}

static void reader_task(void *arg) {
    (void)arg;
    for (;;) {
        uint32_t ticks = ulTaskNotifyTake(pdTRUE, portMAX_DELAY);
        if (ticks) read_and_push(ticks);
    }
}

static int clock_begin(void) {
    /* 1024 words = 4 KB of stack; above the loop task's priority. */
    return xTaskCreate(reader_task, "gn_imu", 1024, nullptr, configMAX_PRIORITIES - 2, &g_task) == pdPASS ? 0 : 1;
}

static void clock_start(uint16_t rate_hz) {
    NRF_TIMER3->TASKS_STOP = 1;
    NRF_TIMER3->MODE = TIMER_MODE_MODE_Timer;
    NRF_TIMER3->BITMODE = TIMER_BITMODE_BITMODE_32Bit;
    NRF_TIMER3->PRESCALER = 4; /* 16 MHz / 2^4 = 1 MHz */
    NRF_TIMER3->CC[0] = 1000000u / rate_hz;
    NRF_TIMER3->SHORTS = TIMER_SHORTS_COMPARE0_CLEAR_Msk;
    NRF_TIMER3->INTENSET = TIMER_INTENSET_COMPARE0_Msk;
    /* 6: an application priority the SoftDevice allows (2, 3, 5-7) and numerically at or above
     * FreeRTOS's syscall priority, so the FromISR call above is legal. */
    NVIC_SetPriority(TIMER3_IRQn, 6);
    NVIC_ClearPendingIRQ(TIMER3_IRQn);
    NVIC_EnableIRQ(TIMER3_IRQn);
    NRF_TIMER3->TASKS_CLEAR = 1;
    NRF_TIMER3->TASKS_START = 1;
}

static void clock_stop(void) {
    NRF_TIMER3->TASKS_STOP = 1;
    NRF_TIMER3->INTENCLR = TIMER_INTENCLR_COMPARE0_Msk;
    NVIC_DisableIRQ(TIMER3_IRQn);
}

#elif defined(ARDUINO_ARCH_MBED)
/* ---- Nano 33 BLE, Mbed OS: Ticker interrupt -> EventQueue -> realtime thread ---- */
#include <mbed.h>

static events::EventQueue g_queue(8 * EVENTS_EVENT_SIZE);
static rtos::Thread g_thread(osPriorityRealtime, 4096, nullptr, "gn_imu");
static mbed::Ticker g_ticker;
static uint32_t g_pending; /* ticks not yet handled (atomic) */

static void handle_ticks(void) {
    uint32_t ticks = __atomic_exchange_n(&g_pending, 0u, __ATOMIC_SEQ_CST);
    if (ticks) read_and_push(ticks);
}

/* Interrupt context (us_ticker): count the tick; post one event per batch (EventQueue::call is
 * interrupt-safe and uses the queue's fixed buffer, no heap). */
static void on_tick(void) {
    if (__atomic_fetch_add(&g_pending, 1u, __ATOMIC_SEQ_CST) == 0) g_queue.call(handle_ticks);
}

static int clock_begin(void) {
    return g_thread.start(mbed::callback(&g_queue, &events::EventQueue::dispatch_forever)) == osOK ? 0 : 1;
}

static void clock_start(uint16_t rate_hz) {
    __atomic_store_n(&g_pending, 0u, __ATOMIC_SEQ_CST);
    g_ticker.attach(&on_tick, std::chrono::microseconds(1000000u / rate_hz));
}

static void clock_stop(void) { g_ticker.detach(); }

#else
#error "no sample clock for this platform (ESP32, Adafruit nRF52 and Mbed cores are supported)"
#endif

int imu_provider_begin(gn_node *node) {
    g_node = node;
    for (int i = 0; i < GN_AXES; ++i) g_raw[i] = 0;
    int rc = clock_begin();
    if (rc != 0) return rc;
    return imu_sensor_begin();
}

void imu_provider_start(void *ctx, uint16_t rate_hz) {
    (void)ctx;
    if (rate_hz == 0) return;
    clock_stop();
    __atomic_store_n(&g_running, 1u, __ATOMIC_SEQ_CST);
    clock_start(rate_hz);
}

void imu_provider_stop(void *ctx) {
    (void)ctx;
    clock_stop();
    wait_reader_idle();
}
