# CMake toolchain file: C and C++20 compiled and linked fully static against
# musl on Debian 12, with Debian's (glibc-built) GCC 12 libstdc++.
#
#   cmake -S . -B build/product -DCMAKE_TOOLCHAIN_FILE=/abs/toolchain/musl.cmake \
#         -DKDK_TOOLCHAIN_DIR=/abs/build/toolchain
#
# KDK_TOOLCHAIN_DIR is the output of toolchain/build.sh. Exported for the
# project (see toolchain/README.md):
#   KDK_TOOLCHAIN_DIR       that directory
#   KDK_DEP_PREFIX          ${KDK_TOOLCHAIN_DIR}/prefix
#   KDK_DEP_INCLUDE_DIRS    include dirs of zstd, OpenSSL, curl, zlib, lzo2
#   KDK_DEP_LIBS            full paths, in link order: libcurl libssh2
#                           libssl libcrypto libzstd libz liblzo2
#   KDK_DEP_VERSIONS_H      ${KDK_TOOLCHAIN_DIR}/versions.h
#                           (#define KDK_DEP_VERSIONS "zstd 1.5.4, ...")
#   KDK_MUSL_STATIC         TRUE
#
# libstdc++'s locale and iostream parts do not work on musl: use printf.

set(KDK_GCC_MAJOR 12)
set(KDK_GCC_LIBDIR /usr/lib/gcc/x86_64-linux-gnu/${KDK_GCC_MAJOR})
set(KDK_MUSL_LIBDIR /usr/lib/x86_64-linux-musl)
set(KDK_MUSL_INCDIR /usr/include/x86_64-linux-musl)
set(KDK_SHIM_DIR ${CMAKE_CURRENT_LIST_DIR}/shims)

# The toolchain file is read again in every try_compile project: take
# KDK_TOOLCHAIN_DIR from the cache, the environment, or the forwarded
# platform variable, and forward it.
if(NOT KDK_TOOLCHAIN_DIR AND DEFINED ENV{KDK_TOOLCHAIN_DIR})
  set(KDK_TOOLCHAIN_DIR "$ENV{KDK_TOOLCHAIN_DIR}")
endif()
if(NOT KDK_TOOLCHAIN_DIR)
  message(FATAL_ERROR "musl.cmake: pass -DKDK_TOOLCHAIN_DIR=<output of toolchain/build.sh>")
endif()
get_filename_component(KDK_TOOLCHAIN_DIR "${KDK_TOOLCHAIN_DIR}" ABSOLUTE)
set(KDK_TOOLCHAIN_DIR "${KDK_TOOLCHAIN_DIR}" CACHE PATH "output of toolchain/build.sh")
set(ENV{KDK_TOOLCHAIN_DIR} "${KDK_TOOLCHAIN_DIR}")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES KDK_TOOLCHAIN_DIR)

foreach(_kdk_f
    ${KDK_TOOLCHAIN_DIR}/lib/libglibcshim.a ${KDK_TOOLCHAIN_DIR}/uapi/linux
    ${KDK_TOOLCHAIN_DIR}/prefix/lib/libcurl.a ${KDK_TOOLCHAIN_DIR}/prefix/lib/libssh2.a
    ${KDK_TOOLCHAIN_DIR}/versions.h
    ${KDK_MUSL_LIBDIR}/libc.a ${KDK_MUSL_LIBDIR}/crt1.o ${KDK_GCC_LIBDIR}/crtbeginT.o
    ${KDK_GCC_LIBDIR}/libstdc++.a /usr/include/c++/${KDK_GCC_MAJOR}
    ${KDK_SHIM_DIR}/glibc_compat.h)
  if(NOT EXISTS "${_kdk_f}")
    message(FATAL_ERROR "musl.cmake: ${_kdk_f} is missing; run toolchain/build.sh "
      "${KDK_TOOLCHAIN_DIR} (and scripts/install-deps.sh)")
  endif()
endforeach()

find_program(KDK_GCC gcc-${KDK_GCC_MAJOR} REQUIRED)
find_program(KDK_GXX g++-${KDK_GCC_MAJOR} REQUIRED)
set(CMAKE_C_COMPILER ${KDK_GCC})
set(CMAKE_CXX_COMPILER ${KDK_GXX})

# --- compiling --------------------------------------------------------------
# Header search order: (libstdc++,) musl, GCC's own headers; the Linux UAPI
# headers last. No glibc header is ever reachable.
set(_kdk_common "-nostdinc -fno-pie -ffunction-sections -fdata-sections")
set(_kdk_c_inc "-isystem ${KDK_MUSL_INCDIR} -isystem ${KDK_GCC_LIBDIR}/include -idirafter ${KDK_TOOLCHAIN_DIR}/uapi")
set(_kdk_cxx_inc
  "-nostdinc++ -isystem /usr/include/c++/${KDK_GCC_MAJOR} -isystem /usr/include/x86_64-linux-gnu/c++/${KDK_GCC_MAJOR} -isystem /usr/include/c++/${KDK_GCC_MAJOR}/backward ${_kdk_c_inc}")
set(CMAKE_C_FLAGS_INIT "${_kdk_common} ${_kdk_c_inc}")
set(CMAKE_CXX_FLAGS_INIT "${_kdk_common} ${_kdk_cxx_inc} -include ${KDK_SHIM_DIR}/glibc_compat.h")

# --- linking ----------------------------------------------------------------
# -nostdlib and an explicit C runtime: musl's crt1/crti/crtn around GCC's
# crtbeginT/crtend; musl's library dir searched first so a -lm/-lpthread/-ldl
# never reaches glibc's archives. --eh-frame-hdr lets the unwinder find
# FDEs through _dl_find_object (shim); the PT_GNU_STACK size becomes musl's
# default thread stack size (otherwise 128 KiB).
set(_kdk_ldflags
  "-static -no-pie -nostdlib -L${KDK_MUSL_LIBDIR} -Wl,--eh-frame-hdr -Wl,-z,stack-size=8388608 -Wl,--gc-sections")
set(_kdk_crt_begin "${KDK_MUSL_LIBDIR}/crt1.o ${KDK_MUSL_LIBDIR}/crti.o ${KDK_GCC_LIBDIR}/crtbeginT.o")
set(_kdk_crt_end "${KDK_GCC_LIBDIR}/crtend.o ${KDK_MUSL_LIBDIR}/crtn.o")
set(_kdk_runtime_c
  "${KDK_TOOLCHAIN_DIR}/lib/libglibcshim.a ${KDK_GCC_LIBDIR}/libgcc.a ${KDK_GCC_LIBDIR}/libgcc_eh.a ${KDK_MUSL_LIBDIR}/libc.a")
set(CMAKE_C_LINK_EXECUTABLE
  "<CMAKE_C_COMPILER> <FLAGS> <CMAKE_C_LINK_FLAGS> ${_kdk_ldflags} <LINK_FLAGS> -o <TARGET> ${_kdk_crt_begin} <OBJECTS> <LINK_LIBRARIES> -Wl,--start-group ${_kdk_runtime_c} -Wl,--end-group ${_kdk_crt_end}")
set(CMAKE_CXX_LINK_EXECUTABLE
  "<CMAKE_CXX_COMPILER> <FLAGS> <CMAKE_CXX_LINK_FLAGS> ${_kdk_ldflags} <LINK_FLAGS> -o <TARGET> ${_kdk_crt_begin} <OBJECTS> <LINK_LIBRARIES> -Wl,--start-group ${KDK_GCC_LIBDIR}/libstdc++.a ${_kdk_runtime_c} -Wl,--end-group ${_kdk_crt_end}")
set(CMAKE_POSITION_INDEPENDENT_CODE OFF)
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(BUILD_SHARED_LIBS OFF)

# find_* only look into the musl prefix (never at glibc's libraries);
# programs still come from the host.
set(CMAKE_FIND_ROOT_PATH ${KDK_TOOLCHAIN_DIR}/prefix)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# --- third-party libraries from toolchain/build.sh --------------------------
set(KDK_MUSL_STATIC TRUE)
set(KDK_DEP_PREFIX ${KDK_TOOLCHAIN_DIR}/prefix)
set(KDK_DEP_INCLUDE_DIRS ${KDK_DEP_PREFIX}/include)
set(KDK_DEP_LIBS
  ${KDK_DEP_PREFIX}/lib/libcurl.a
  ${KDK_DEP_PREFIX}/lib/libssh2.a
  ${KDK_DEP_PREFIX}/lib/libssl.a
  ${KDK_DEP_PREFIX}/lib/libcrypto.a
  ${KDK_DEP_PREFIX}/lib/libzstd.a
  ${KDK_DEP_PREFIX}/lib/libz.a
  ${KDK_DEP_PREFIX}/lib/liblzo2.a)
set(KDK_DEP_VERSIONS_H ${KDK_TOOLCHAIN_DIR}/versions.h)
