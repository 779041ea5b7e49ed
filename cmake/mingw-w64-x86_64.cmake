# Cross-compile for 64-bit Windows with MinGW-w64 (Debian: g++-mingw-w64-x86-64-posix).
#
#   cmake -S . -B build-mingw -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake
#
# Programs are linked with -static (libstdc++, libgcc, winpthread), so a .exe
# runs under Wine or on Windows without any MinGW DLL beside it. When `wine` is
# found, it becomes the CROSSCOMPILING_EMULATOR, so `ctest` runs the tests in it
# (set WINEDEBUG=-all in the environment to silence Wine's own messages).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(CSNET_MINGW_TRIPLE x86_64-w64-mingw32 CACHE STRING "MinGW-w64 target triple")

# The -posix variants use the POSIX thread model (std::thread, std::mutex work);
# the plain names are the fallback.
find_program(CMAKE_CXX_COMPILER NAMES ${CSNET_MINGW_TRIPLE}-g++-posix ${CSNET_MINGW_TRIPLE}-g++)
if(NOT CMAKE_CXX_COMPILER)
  message(FATAL_ERROR "${CSNET_MINGW_TRIPLE}-g++ not found "
    "(Debian/Ubuntu: sudo apt install g++-mingw-w64-x86-64-posix)")
endif()
find_program(CMAKE_C_COMPILER NAMES ${CSNET_MINGW_TRIPLE}-gcc-posix ${CSNET_MINGW_TRIPLE}-gcc)
find_program(CMAKE_RC_COMPILER NAMES ${CSNET_MINGW_TRIPLE}-windres)

# Look for libraries, headers and packages only in the MinGW tree, never in the
# build machine's /usr/include or /usr/lib/cmake; programs come from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${CSNET_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

find_program(CSNET_WINE NAMES wine wine64)
if(CSNET_WINE AND NOT DEFINED CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${CSNET_WINE}")
endif()
