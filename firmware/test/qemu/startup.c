/* startup.c - reset and fault handlers for the unit tests on QEMU mps2-an386 (Cortex-M4F).
 *
 * The vector table gives the initial stack pointer and the reset handler. The reset handler turns
 * the FPU on (the core is built with -mfloat-abi=hard, so float instructions appear everywhere)
 * and jumps to newlib's _start (rdimon-crt0: clears .bss, runs constructors, calls main and then
 * exit(main's return value)). rdimon's exit reaches QEMU by semihosting, which makes the test's
 * return value QEMU's exit code. A fault prints its exception number and exits with 134, so a
 * crashing test fails at once instead of hanging until the CTest timeout.
 */
#include <stdint.h>

extern void _start(void);
extern uint32_t __stack; /* top of RAM, from mps2_an386.ld */

void Reset_Handler(void);
void Default_Handler(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

/* Semihosting call: r0 = operation, r1 = argument; BKPT 0xAB on M-profile. */
static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

#define SYS_WRITE0 0x04u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

void Reset_Handler(void)
{
    /* CP10 and CP11 (the FPU): full access, before the first float instruction. */
    SCB_CPACR |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    _start();
    for (;;) {
    }
}

void Default_Handler(void)
{
    static char msg[] = "qemu: unexpected exception 0x00 (3 = HardFault, 4 = MemManage, 5 = BusFault, "
                        "6 = UsageFault)\n";
    static const char hex[] = "0123456789abcdef";
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    msg[29] = hex[(ipsr >> 4) & 0xFu];
    msg[30] = hex[ipsr & 0xFu];
    semihost(SYS_WRITE0, msg);
    static const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, 134u};
    semihost(SYS_EXIT_EXTENDED, block);
    for (;;) {
    }
}

/* Cortex-M vector table: initial SP, then the 15 system exceptions (the tests use no IRQs). */
__attribute__((section(".isr_vector"), used)) static const uintptr_t vector_table[16] = {
    (uintptr_t)&__stack,
    (uintptr_t)Reset_Handler,
    (uintptr_t)Default_Handler, /* NMI */
    (uintptr_t)Default_Handler, /* HardFault */
    (uintptr_t)Default_Handler, /* MemManage */
    (uintptr_t)Default_Handler, /* BusFault */
    (uintptr_t)Default_Handler, /* UsageFault */
    0, 0, 0, 0,
    (uintptr_t)Default_Handler, /* SVCall */
    (uintptr_t)Default_Handler, /* DebugMonitor */
    0,
    (uintptr_t)Default_Handler, /* PendSV */
    (uintptr_t)Default_Handler, /* SysTick */
};
