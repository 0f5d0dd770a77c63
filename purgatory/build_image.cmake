# cmake -P build_image.cmake: links the purgatory's objects into a flat
# binary at two bases and requires the same bytes (the image must run
# wherever the loader puts it, unrelocated), then writes the bytes as a C++
# array. Variables: CC OBJCOPY LDS OBJS (;-list) BIN CC_OUT.
set(link_flags -nostdlib -static -no-pie -Wl,-T,${LDS} -Wl,--build-id=none -Wl,-z,noexecstack
    -Wl,--no-warn-rwx-segments)
foreach(base 0 0x7654321000)
  execute_process(COMMAND ${CC} ${link_flags} -Wl,--defsym=kdk_link_base=${base} -o ${BIN}.${base}.elf ${OBJS}
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "purgatory: linking at base ${base} failed")
  endif()
  execute_process(COMMAND ${OBJCOPY} -O binary ${BIN}.${base}.elf ${BIN}.${base} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "purgatory: objcopy failed")
  endif()
endforeach()
file(SHA256 ${BIN}.0 a)
file(SHA256 ${BIN}.0x7654321000 b)
if(NOT a STREQUAL b)
  message(FATAL_ERROR "purgatory: the image differs when linked at another base: some code or data "
                      "uses an absolute address (compare ${BIN}.0 and ${BIN}.0x7654321000)")
endif()
file(RENAME ${BIN}.0 ${BIN})
file(REMOVE ${BIN}.0x7654321000 ${BIN}.0x7654321000.elf)
file(RENAME ${BIN}.0.elf ${BIN}.elf)

file(READ ${BIN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR size "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n  " bytes "${bytes}")
file(WRITE ${CC_OUT}.tmp
"// Generated from purgatory/ by purgatory/build_image.cmake: do not edit.
#include \"purgatory/image.h\"

namespace kdk::purgatory {
namespace {
alignas(16) const std::uint8_t kImage[${size}] = {
  ${bytes}
};
}  // namespace

std::span<const std::uint8_t> image() { return {kImage, sizeof kImage}; }

}  // namespace kdk::purgatory
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${CC_OUT}.tmp ${CC_OUT})
file(REMOVE ${CC_OUT}.tmp)
