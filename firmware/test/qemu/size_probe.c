/* size_probe.c - the node's RAM in the firmware size report (benchmarks/firmware_size.py).
 *
 * Linked alone (no core code, no libc) into size_probe.elf: its bss is one gn_node with the
 * board's buffer sizes (GN_BOARD_HEADER), i.e. the RAM a firmware reserves for the node; the
 * symbol's size (`arm-none-eabi-nm -S`) is sizeof(gn_node).
 */
#include "gn_node.h"

gn_node gn_size_probe_node;

int main(void);

int main(void)
{
    /* A use the linker sees, so --gc-sections keeps the node. */
    gn_node *volatile node = &gn_size_probe_node;
    return node != 0;
}
