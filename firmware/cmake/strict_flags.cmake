# Compiler flags of the gaitnode core (docs/firmware-core.md, "Rules").

# Warnings every core source must pass, as errors, on the host and on Cortex-M4.
set(GN_CORE_WARNINGS
    -Wall -Wextra -Wpedantic -Wconversion -Wdouble-promotion -Wshadow -Werror)
# Unit tests and the twin's host HAL: warnings as errors, but doubles and implicit
# conversions are allowed (tests compare against double references and printf floats).
set(GN_TEST_WARNINGS -Wall -Wextra -Werror)
# AddressSanitizer + UndefinedBehaviorSanitizer for host unit tests; any report aborts the test.
set(GN_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)

# gn_use_c11(target): ISO C11, no GNU extensions.
function(gn_use_c11 target)
  set_target_properties(${target} PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
endfunction()

# gn_core_flags(target): strict warnings + optimisation for a target built from core sources.
# sanitize: ON to add the sanitizers (host only).
function(gn_core_flags target sanitize)
  gn_use_c11(${target})
  target_compile_options(${target} PRIVATE ${GN_CORE_WARNINGS})
  if(GN_ARM)
    # -fstack-usage, -fcallgraph-info=su: per source, each function's frame (.su) and its calls (.ci),
    # read by benchmarks/firmware_size.py for the stack estimate.
    target_compile_options(${target} PRIVATE -Os -g -ffunction-sections -fdata-sections -fstack-usage
                           -fcallgraph-info=su)
  elseif(sanitize)
    target_compile_options(${target} PRIVATE -O1 ${GN_SANITIZE_FLAGS})
  else()
    target_compile_options(${target} PRIVATE -O2 -g)
  endif()
endfunction()
