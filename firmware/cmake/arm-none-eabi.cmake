# Toolchain file: Cortex-M4F (nRF52840-class) with arm-none-eabi-gcc and newlib.
# Use: cmake -S firmware -B build/firmware/arm -DCMAKE_TOOLCHAIN_FILE=firmware/cmake/arm-none-eabi.cmake
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

find_program(GN_ARM_GCC arm-none-eabi-gcc)
if(NOT GN_ARM_GCC)
  message(FATAL_ERROR "arm-none-eabi-gcc not found: sudo apt-get install --no-install-recommends "
                      "gcc-arm-none-eabi libnewlib-arm-none-eabi")
endif()
get_filename_component(_gn_arm_bin "${GN_ARM_GCC}" DIRECTORY)

set(CMAKE_C_COMPILER "${GN_ARM_GCC}")
set(CMAKE_ASM_COMPILER "${GN_ARM_GCC}")
set(CMAKE_AR "${_gn_arm_bin}/arm-none-eabi-ar" CACHE FILEPATH "")
set(CMAKE_RANLIB "${_gn_arm_bin}/arm-none-eabi-ranlib" CACHE FILEPATH "")
set(GN_ARM_SIZE "${_gn_arm_bin}/arm-none-eabi-size" CACHE FILEPATH "arm-none-eabi-size")

# The compiler check links no program (there is no startup code before ours).
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# The CPU flags; CMakeLists.txt adds them to every compile and link (not through CMAKE_C_FLAGS,
# which a -DCMAKE_C_FLAGS=... on the command line would replace).
set(GN_ARM_CPU_FLAGS -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
